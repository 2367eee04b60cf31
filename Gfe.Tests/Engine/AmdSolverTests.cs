using Gfe.Engine.Data;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>The batch-coupled AMD solver (docs/method.md §3c), checked trial by trial through its trace.</summary>
public class AmdSolverTests
{
    /// <summary>
    /// Solves a small problem. <paramref name="sharpness"/> scales every decoder parameter: an untrained decoder's
    /// loss is nearly flat in z, and a sharper one gives the curved landscape where steps overshoot and backtrack.
    /// </summary>
    static TracedSolve Run(AmdOptions options, int batch = 3, LatentInit init = LatentInit.Uniform, double sharpness = 1)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(21, CPU);
        using var decoder = new Decoder(generator);
        using (torch.no_grad())
            foreach (var parameter in decoder.parameters())
                parameter.mul_(sharpness);
        var images = SyntheticImages.Make(batch, 8);
        var x = torch.tensor(images.Pixels, [batch, ImageSet.ImageSize]);
        var z0 = LatentStart.Draw(init, batch, generator, CPU);
        float[] lossAtStart;
        using (torch.no_grad())
            lossAtStart = ReconstructionLoss.PerImage(LossKind.Bce, decoder.forward(z0), x).data<float>().ToArray();
        var trials = new List<AmdTrial>();
        var solution = new AmdSolver(options).Solve(decoder, x, z0, trials.Add);
        solution.Latent.MoveToOuterDisposeScope();   // the test keeps z* beyond this scope
        // Independently of the solver: the loss and the squared gradient norm at the returned z*.
        var latent = solution.Latent.detach().requires_grad_(true);
        var losses = ReconstructionLoss.PerImage(LossKind.Bce, decoder.forward(latent), x);
        var gradient = torch.autograd.grad([losses.sum()], [latent])[0];
        return new TracedSolve(solution, trials, lossAtStart, losses.detach().data<float>().ToArray(),
            gradient.square().sum(1).data<float>().ToArray());
    }

    static bool Decreases(AmdOptions o, AmdTrial trial) =>
        trial.LossBefore.Zip(trial.LossAfter, trial.GradientNormsSquared).All(s =>
            s.First - s.Second >= (float)(o.Sigma * trial.Dt * o.DtMax) * s.Third);

    /// <summary>The invariants every trace must satisfy, whatever the problem.</summary>
    static void AssertParitySemantics(AmdOptions o, TracedSolve solve)
    {
        var trials = solve.Trials;
        double smallestDt = Math.Pow(o.Beta, o.MaxHalvings);
        Assert.Equal(0, trials[0].Time);
        Assert.Equal(o.DtStart, trials[0].Dt);
        float[] currentLoss = solve.LossAtStart;
        for (int k = 0; k < trials.Count; k++)
        {
            var trial = trials[k];
            // The loss at the current point: l(z0) first, then the one accepted last (cached, not recomputed).
            Assert.Equal(currentLoss, trial.LossBefore);

            // The fallback fires exactly when dt < beta^K (strict), force-accepts, and advances t by min(fallback, tau - t).
            Assert.Equal(trial.Dt < smallestDt, trial.Forced);
            if (trial.Forced)
                Assert.Equal(Math.Min(o.FallbackDt, o.Tau - trial.Time), trial.Advance);
            else if (trial.Accepted)
            {
                Assert.True(Decreases(o, trial), $"trial {k} accepted without sufficient decrease");
                Assert.Equal(trial.Dt, trial.Advance);
            }
            else
            {
                // Rejected: some image failed the test; time stays, and the next trial halves (beta) the step.
                Assert.False(Decreases(o, trial), $"trial {k} rejected although every image decreased");
                Assert.Equal(0, trial.Advance);
            }

            if (trial.Accepted) currentLoss = trial.LossAfter;
            if (k + 1 < trials.Count)
            {
                var next = trials[k + 1];
                Assert.Equal(trial.Time + trial.Advance, next.Time);
                double expectedDt = trial.Accepted
                    ? Math.Min(Math.Min(Math.Max(o.DtStart, o.Growth * trial.Advance), o.DtMax), o.Tau - trial.Time)
                    : trial.Dt * o.Beta;
                Assert.Equal(expectedDt, next.Dt);
                Assert.False(trial.Converged);
            }
        }

        // The loop ends on convergence or once t reaches tau, not earlier.
        var last = trials[^1];
        double finalTime = last.Time + last.Advance;
        Assert.Equal(finalTime, solve.Solution.FinalTime);
        Assert.True(last.Converged || finalTime >= o.Tau);
        Assert.All(trials.SkipLast(1), t => Assert.True(t.Time + t.Advance < o.Tau));

        // z* is the last accepted point, and the test's gradient norms were taken there (at the NEW point).
        Assert.Equal(currentLoss, solve.LossAtLatent);
        var lastAccepted = trials.Last(t => t.Accepted);
        for (int i = 0; i < solve.GradientNormsSquaredAtLatent.Length; i++)
            Assert.Equal(solve.GradientNormsSquaredAtLatent[i], lastAccepted.GradientNormsSquared[i],
                1e-6f * solve.GradientNormsSquaredAtLatent[i]);
        Assert.False(solve.Solution.Latent.requires_grad);

        var statistics = solve.Solution.Statistics;
        Assert.Equal(1, statistics.Solves);
        Assert.Equal(trials.Count(t => t.Accepted), statistics.AcceptedSteps);
        Assert.Equal(trials.Count(t => !t.Accepted), statistics.RejectedTrials);
        Assert.Equal(trials.Count(t => t.Forced), statistics.ForcedAcceptances);
        Assert.Equal(last.Converged ? 1 : 0, statistics.ConvergedSolves);
    }

    /// <summary>Replays the convergence monitor from the trace: window, start fraction and the numpy.gradient slope.</summary>
    static void AssertConvergenceMonitor(AmdOptions o, TracedSolve solve)
    {
        var monitored = new List<double>();
        foreach (var trial in solve.Trials.Where(t => t.Accepted))
        {
            double t = trial.Time + trial.Advance;
            bool monitors = (o.Tau - t) / o.Tau <= o.MonitorFraction;
            Assert.Equal(monitors, trial.MonitoredLoss.HasValue);
            if (!monitors) continue;
            Assert.Equal(trial.LossAfter.Average(v => (double)v), trial.MonitoredLoss!.Value, 1e-12);
            monitored.Add(trial.MonitoredLoss.Value);
            bool converged = monitored.Count >= o.Window &&
                             Math.Abs(AmdSolver.MeanSlope(monitored.TakeLast(o.Window).ToList())) < o.Tolerance;
            Assert.Equal(converged, trial.Converged);
        }
    }

    [Fact]
    public void ReferenceSettingsOnAShortHorizon()
    {
        var options = new AmdOptions { Tau = 300, Tolerance = 1e-12 };
        var solve = Run(options);

        AssertParitySemantics(options, solve);
        AssertConvergenceMonitor(options, solve);
        Assert.True(solve.Solution.FinalTime >= options.Tau);
        // The flow lowers every image's loss from z0.
        Assert.All(solve.LossAtLatent.Zip(solve.Trials[0].LossBefore), p => Assert.True(p.First < p.Second));
        // dt grows from s0 by kappa up to smax.
        Assert.Contains(solve.Trials, t => t.Dt == options.DtMax);
    }

    [Fact]
    public void CurvedLandscapesRejectAndBacktrack()
    {
        var options = new AmdOptions { Tau = 200, Tolerance = 1e-12 };
        var solve = Run(options, sharpness: 3);
        AssertParitySemantics(options, solve);
        var trials = solve.Trials;
        Assert.Contains(trials, t => !t.Accepted);
        // A rejection followed by an ordinary acceptance at the halved step: backtracking that succeeds.
        Assert.Contains(trials.Zip(trials.Skip(1)), p => !p.First.Accepted && p.Second.Accepted && !p.Second.Forced);
        Assert.Contains(trials, t => t.Forced);
    }

    [Fact]
    public void FallbackForcesAcceptanceOnceDtFallsBelowBetaToTheK()
    {
        // Sigma so large that no trial passes: every step ends in the fallback after the halvings.
        var options = new AmdOptions { Tau = 100, Sigma = 1e6, MaxHalvings = 4, Tolerance = 1e-30 };
        var solve = Run(options);

        AssertParitySemantics(options, solve);
        var trials = solve.Trials;
        // From dt = 1: 1, 1/2, 1/4, 1/8 and 1/16 = beta^K itself are tested and rejected; 1/32 < beta^K is forced.
        Assert.Equal([1, 0.5, 0.25, 0.125, 0.0625, 0.03125], trials.Take(6).Select(t => t.Dt));
        Assert.Equal([false, false, false, false, false, true], trials.Take(6).Select(t => t.Accepted));
        Assert.Equal(10, trials[5].Advance);
        // After the forced step dt restarts at min(max(1, 1.1 * 10), 10) = 10 and halves eight times.
        Assert.Equal(10, trials[6].Dt);
        Assert.Equal(10.0 / 256, trials[14].Dt);
        Assert.True(trials[14].Forced);
        // Ten forced steps of 10 reach tau = 100 exactly.
        Assert.Equal(10, solve.Solution.Statistics.ForcedAcceptances);
        Assert.Equal(100, solve.Solution.FinalTime);
    }

    [Fact]
    public void FallbackStepIsClippedToTheHorizon()
    {
        var options = new AmdOptions { Tau = 25, Sigma = 1e6, MaxHalvings = 2, Tolerance = 1e-30 };
        var solve = Run(options, batch: 2);

        AssertParitySemantics(options, solve);
        var forced = solve.Trials.Where(t => t.Forced).Select(t => t.Advance).ToList();
        Assert.Equal([10, 10, 5], forced);
        Assert.Equal(25, solve.Solution.FinalTime);
    }

    [Fact]
    public void ConvergesWhenTheMeanSlopeOfTheWindowIsSmall()
    {
        var options = new AmdOptions { Tau = 400, Tolerance = 2e-4 };
        var solve = Run(options, batch: 2);

        AssertParitySemantics(options, solve);
        AssertConvergenceMonitor(options, solve);
        Assert.True(solve.Trials[^1].Converged, "the flow should flatten out below the loose tolerance");
        Assert.True(solve.Solution.FinalTime < options.Tau);
        Assert.Equal(1, solve.Solution.Statistics.ConvergedSolves);
        Assert.True(solve.Trials.Count(t => t.MonitoredLoss.HasValue) >= options.Window);
    }

    [Fact]
    public void ConvergesAsSoonAsTheWindowFillsUnderAHugeTolerance()
    {
        var options = new AmdOptions { Tau = 300, Tolerance = 10 };
        var solve = Run(options, batch: 2, init: LatentInit.Zero);

        AssertParitySemantics(options, solve);
        AssertConvergenceMonitor(options, solve);
        Assert.Equal(options.Window, solve.Trials.Count(t => t.MonitoredLoss.HasValue));
        Assert.True(solve.Trials[^1].Converged);
    }

    [Fact]
    public void SameStartGivesTheSameEncoding()
    {
        var options = new AmdOptions { Tau = 200 };
        var first = Run(options);
        var second = Run(options);
        Assert.True(first.Solution.Latent.Equals(second.Solution.Latent));
        Assert.Equal(first.Trials.Count, second.Trials.Count);
    }

    [Fact]
    public void LatentStartsAreUniformOrZero()
    {
        using var generator = new Generator(2, CPU);
        using var uniform = LatentStart.Draw(LatentInit.Uniform, 50, generator, CPU);
        using var zero = LatentStart.Draw(LatentInit.Zero, 4, generator, CPU);
        Assert.Equal(new long[] { 50, 20 }, uniform.shape);
        Assert.True(uniform.min().item<float>() >= 0 && uniform.max().item<float>() < 1);
        Assert.InRange(uniform.mean().item<float>(), 0.45, 0.55);
        Assert.Equal(0, zero.abs().sum().item<float>());
    }

    [Fact]
    public void RejectsOptionsItCannotRun()
    {
        Assert.Throws<ArgumentException>(() => new AmdSolver(new AmdOptions { Beta = 1 }));
        Assert.Throws<ArgumentException>(() => new AmdSolver(new AmdOptions { Window = 1 }));
        Assert.Contains("amd.tau", AmdSolver.Problem(new AmdOptions { Tau = 0 }));
    }
}
