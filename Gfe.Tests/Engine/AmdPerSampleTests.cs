using Gfe.Engine.Data;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>
/// Per-sample AMD (docs/method.md §6.1/6.2) against the batch-coupled reference, and the lean trial passes (§6.5)
/// against the pass-per-trial original, all through the solver's trace.
/// </summary>
public class AmdPerSampleTests
{
    /// <summary>A decoder (scaled by <paramref name="sharpness"/> for a curved landscape), images and z0 for a solve.</summary>
    sealed class Problem : IDisposable
    {
        readonly DisposeScope scope = torch.NewDisposeScope();
        public Decoder Decoder { get; }
        public Tensor Images { get; }
        public Tensor Z0 { get; }

        public Problem(int batch, double sharpness, LatentInit init = LatentInit.Uniform)
        {
            var generator = new Generator(21, CPU);
            Decoder = new Decoder(generator);
            using (torch.no_grad())
                foreach (var parameter in Decoder.parameters())
                    parameter.mul_(sharpness);
            Images = torch.tensor(SyntheticImages.Make(batch, 8).Pixels, [batch, ImageSet.ImageSize]);
            Z0 = LatentStart.Draw(init, batch, generator, CPU);
        }

        public (AmdSolution Solution, List<AmdTrial> Trials) Solve(AmdOptions options, int? only = null)
        {
            var images = only is { } i ? Images[i..(i + 1)] : Images;
            var z0 = only is { } j ? Z0[j..(j + 1)] : Z0;
            var trials = new List<AmdTrial>();
            var solution = new AmdSolver(options).Solve(Decoder, images, z0, trials.Add);
            return (solution, trials);
        }

        public void Dispose() => scope.Dispose();
    }

    // Three landscapes: smooth to tau, curved with rejections and fallbacks, and one that converges early.
    static readonly (AmdOptions Options, double Sharpness)[] Cases =
    [
        (new AmdOptions { Tau = 300, Tolerance = 1e-12 }, 1),
        (new AmdOptions { Tau = 200, Tolerance = 1e-12 }, 3),
        (new AmdOptions { Tau = 400, Tolerance = 2e-4 }, 1),
    ];

    /// <summary>Same decisions, same numbers; gradient norms compare equal when both are NaN (not computed).</summary>
    static void AssertSameTrial(AmdTrial expected, AmdTrial actual)
    {
        Assert.Equal(expected.Time, actual.Time);
        Assert.Equal(expected.Dt, actual.Dt);
        Assert.Equal(expected.Accepted, actual.Accepted);
        Assert.Equal(expected.Forced, actual.Forced);
        Assert.Equal(expected.Advance, actual.Advance);
        Assert.Equal(expected.LossBefore, actual.LossBefore);
        Assert.Equal(expected.LossAfter, actual.LossAfter);
        Assert.Equal(expected.GradientNormsSquared, actual.GradientNormsSquared);
        Assert.Equal(expected.MonitoredLoss, actual.MonitoredLoss);
        Assert.Equal(expected.Converged, actual.Converged);
    }

    [Fact]
    public void PerSampleWithOneImageIsExactlyTheBatchCoupledSolver()
    {
        foreach (var (options, sharpness) in Cases)
        {
            using var problem = new Problem(3, sharpness);
            for (int i = 0; i < 3; i++)
            {
                var (coupled, coupledTrials) = problem.Solve(options, only: i);
                var (alone, aloneTrials) = problem.Solve(options with { Mode = AmdMode.PerSample }, only: i);
                Assert.True(coupled.Latent.Equals(alone.Latent), $"z* differs for image {i}");
                Assert.Equal(coupled.FinalTime, alone.FinalTime);
                Assert.Equal(coupled.Statistics, alone.Statistics);
                Assert.Equal(coupledTrials.Count, aloneTrials.Count);
                for (int k = 0; k < coupledTrials.Count; k++)
                {
                    AssertSameTrial(coupledTrials[k], aloneTrials[k]);
                    Assert.Equal(0, aloneTrials[k].Sample);
                }
            }
        }
    }

    [Fact]
    public void PerSampleOnABatchIsEachImageSolvedAlone()
    {
        // The smooth landscapes only: in the sharp one a last-bit difference can flip a knife-edge acceptance, after
        // which the two flows legitimately part ways.
        foreach (var (options, sharpness) in Cases.Where(c => c.Sharpness == 1))
        {
            var perSample = options with { Mode = AmdMode.PerSample };
            using var problem = new Problem(4, sharpness);
            var (batch, batchTrials) = problem.Solve(perSample);
            var total = AmdStatistics.None;
            for (int i = 0; i < 4; i++)
            {
                var (alone, aloneTrials) = problem.Solve(perSample, only: i);
                total = total.Add(alone.Statistics);
                // Batched matrix products may round differently from single rows, and a few hundred steps through the curved
                // landscape amplify that to ~1e-3 relative, hence the tolerance; the decisions themselves must agree.
                Assert.True(alone.Latent.allclose(batch.Latent[i..(i + 1)], rtol: 1e-3, atol: 1e-3), $"z* differs for image {i}");
                Assert.Equal(alone.FinalTime, batch.SampleTimes[i]);
                var mine = batchTrials.Where(t => t.Sample == i).ToList();
                Assert.Equal(aloneTrials.Select(t => (t.Dt, t.Accepted, t.Forced, t.Converged)), mine.Select(t => (t.Dt, t.Accepted, t.Forced, t.Converged)));
                for (int k = 0; k < mine.Count; k++)
                    Assert.Equal(aloneTrials[k].LossAfter[0], mine[k].LossAfter[0], 1e-4f * aloneTrials[k].LossAfter[0]);
            }
            Assert.Equal(total, batch.Statistics);
        }
    }

    [Fact]
    public void FinishedImagesStopCostingWork()
    {
        var options = new AmdOptions { Tau = 200, Tolerance = 1e-12, Mode = AmdMode.PerSample };
        using var problem = new Problem(6, 3);
        var (solution, trials) = problem.Solve(options);

        var rounds = trials.GroupBy(t => t.Round).OrderBy(g => g.Key).ToList();
        Assert.Equal(Enumerable.Range(0, rounds.Count), rounds.Select(r => r.Key));
        // Each round's decoder batch carries exactly the images that made a trial in it, each once.
        Assert.All(rounds, r => Assert.Equal(r.Count(), r.First().ActiveSamples));
        Assert.All(rounds, r => Assert.Equal(r.Count(), r.Select(t => t.Sample).Distinct().Count()));
        Assert.Equal(rounds.Sum(r => (long)r.Count()), solution.RowsEvaluated);
        // An image leaves once it converged or reached tau, and never comes back.
        for (int i = 0; i < 6; i++)
        {
            var mine = trials.Where(t => t.Sample == i).ToList();
            Assert.Equal(Enumerable.Range(0, mine.Count), mine.Select(t => t.Round));
            Assert.True(mine[^1].Converged || mine[^1].Time + mine[^1].Advance >= options.Tau);
        }
        var active = rounds.Select(r => r.Count()).ToList();
        Assert.True(active.Zip(active.Skip(1)).All(p => p.Second <= p.First), "the active batch only shrinks");
        Assert.Equal(6, active[0]);
        Assert.True(active[^1] < 6, "images that finished early should drop out of the decoder batch");
        Assert.True(solution.RowsEvaluated < (long)rounds.Count * 6);
    }

    [Fact]
    public void EachImageFollowsTheAlgorithmOnItsOwn()
    {
        var options = new AmdOptions { Tau = 200, Tolerance = 1e-12, Mode = AmdMode.PerSample };
        using var problem = new Problem(4, 3);
        var (solution, trials) = problem.Solve(options);
        double smallestDt = Math.Pow(options.Beta, options.MaxHalvings);

        for (int i = 0; i < 4; i++)
        {
            var mine = trials.Where(t => t.Sample == i).ToList();
            Assert.Equal(0, mine[0].Time);
            Assert.Equal(options.DtStart, mine[0].Dt);
            for (int k = 0; k < mine.Count; k++)
            {
                var trial = mine[k];
                float before = trial.LossBefore[0], after = trial.LossAfter[0], norm = trial.GradientNormsSquared[0];
                bool decreases = before - after >= (float)(options.Sigma * trial.Dt * options.DtMax) * norm;
                // This image's own fallback and decrease test, whatever the other images did.
                Assert.Equal(trial.Dt < smallestDt, trial.Forced);
                if (!trial.Forced) Assert.Equal(decreases, trial.Accepted);
                if (trial.Forced) Assert.Equal(Math.Min(options.FallbackDt, options.Tau - trial.Time), trial.Advance);
                if (k + 1 < mine.Count)
                {
                    var next = mine[k + 1];
                    Assert.Equal(trial.Time + trial.Advance, next.Time);
                    Assert.Equal(trial.Accepted ? after : before, next.LossBefore[0]);
                    double expectedDt = trial.Accepted
                        ? Math.Min(Math.Min(Math.Max(options.DtStart, options.Growth * trial.Advance), options.DtMax), options.Tau - trial.Time)
                        : trial.Dt * options.Beta;
                    Assert.Equal(expectedDt, next.Dt);
                }
            }
            Assert.Equal(mine[^1].Time + mine[^1].Advance, solution.SampleTimes[i]);
        }
        // Decoupled: in some round one image backtracks while another steps on.
        Assert.Contains(trials.GroupBy(t => t.Round), r => r.Any(t => t.Accepted) && r.Any(t => !t.Accepted));
        Assert.Equal(trials.Count(t => t.Accepted), solution.Statistics.AcceptedSteps);
        Assert.Equal(trials.Count(t => !t.Accepted), solution.Statistics.RejectedTrials);
        Assert.Equal(trials.Count(t => t.Forced), solution.Statistics.ForcedAcceptances);
        Assert.Equal(4, solution.Statistics.Solves);
    }

    [Fact]
    public void EachImageConvergesOnItsOwnLossWindow()
    {
        var options = new AmdOptions { Tau = 400, Tolerance = 2e-4, Mode = AmdMode.PerSample };
        using var problem = new Problem(4, 1);
        var (solution, trials) = problem.Solve(options);
        for (int i = 0; i < 4; i++)
        {
            var window = new List<double>();
            foreach (var trial in trials.Where(t => t.Sample == i && t.Accepted))
            {
                bool monitors = (options.Tau - (trial.Time + trial.Advance)) / options.Tau <= options.MonitorFraction;
                Assert.Equal(monitors, trial.MonitoredLoss.HasValue);
                if (!monitors) continue;
                Assert.Equal(trial.LossAfter[0], trial.MonitoredLoss!.Value);   // the image's own loss, not a batch mean
                window.Add(trial.MonitoredLoss.Value);
                Assert.Equal(window.Count >= options.Window && Math.Abs(AmdSolver.MeanSlope(window.TakeLast(options.Window).ToList())) < options.Tolerance,
                    trial.Converged);
            }
        }
        Assert.Equal(trials.Count(t => t.Converged), solution.Statistics.ConvergedSolves);
        Assert.True(solution.Statistics.ConvergedSolves > 0);
    }

    [Fact]
    public void LeanPassesMakeTheSameBatchCoupledTrace()
    {
        foreach (var (options, sharpness) in Cases)
        {
            using var problem = new Problem(3, sharpness);
            var (original, originalTrials) = problem.Solve(options with { Passes = AmdPasses.EveryTrial });
            foreach (var passes in new[] { AmdPasses.Recompute, AmdPasses.ReuseProbe })
            {
                var (lean, leanTrials) = problem.Solve(options with { Passes = passes });
                Assert.True(original.Latent.Equals(lean.Latent));
                Assert.Equal(original.Statistics, lean.Statistics);
                Assert.Equal(original.FinalTime, lean.FinalTime);
                Assert.Equal(originalTrials.Count, leanTrials.Count);
                for (int k = 0; k < originalTrials.Count; k++)
                {
                    var (o, l) = (originalTrials[k], leanTrials[k]);
                    if (l.GradientNormsSquared.Any(float.IsNaN))
                    {
                        // Skipped backward: only on a rejection that some image's loss increase had already decided.
                        Assert.All(l.GradientNormsSquared, v => Assert.True(float.IsNaN(v)));
                        Assert.False(l.Accepted);
                        Assert.Contains(o.LossBefore.Zip(o.LossAfter), p => p.First - p.Second < 0);
                        l = l with { GradientNormsSquared = o.GradientNormsSquared };
                    }
                    AssertSameTrial(o, l);
                }
            }
        }
    }

    [Fact]
    public void LeanPassesSkipTheBackwardOfAFailedProbe()
    {
        var options = new AmdOptions { Tau = 200, Tolerance = 1e-12 };
        using var problem = new Problem(3, 3);
        var (_, trials) = problem.Solve(options);
        Assert.Contains(trials, t => !t.Accepted && t.GradientNormsSquared.All(float.IsNaN));
        Assert.All(trials.Where(t => t.Accepted), t => Assert.DoesNotContain(t.GradientNormsSquared, float.IsNaN));
    }

    [Fact]
    public void ModeIsARunSetting()
    {
        Assert.Equal(AmdMode.Batch, new RunConfig().Amd.Mode);
        var config = RunParameters.Apply(new RunConfig(), "amd.mode", "per-sample");
        Assert.Equal(AmdMode.PerSample, config.Amd.Mode);
        Assert.Equal("per-sample", RunParameters.Find("amd.mode")!.Format(config));
        var error = Assert.Throws<RunConfigException>(() => RunParameters.Apply(new RunConfig(), "amd.mode", "sometimes"));
        Assert.Contains("amd.mode", error.Message);
    }

    [Fact]
    public void RejectsMismatchedShapesBeforeTheDecoderSeesThem()
    {
        using var problem = new Problem(3, 1);
        var solver = new AmdSolver(new AmdOptions { Tau = 10 });
        Assert.Throws<ArgumentException>(() => solver.Solve(problem.Decoder, problem.Images, problem.Z0[..2]));
        Assert.Throws<ArgumentException>(() => solver.Solve(problem.Decoder, problem.Images[.., ..100], problem.Z0));
    }
}
