using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Solvers;

/// <summary>
/// The adaptive minimise-distance (AMD) solver of the gradient flow dz/dt = -grad_z l(z), in the reference's
/// batch-coupled PARITY form (engine-spec §3c): one time t, one step dt and one convergence flag are shared by the
/// whole batch, and a trial Euler step is accepted only if every image passes the sufficient-decrease test.
/// </summary>
/// <remarks>
/// The semantics are the reference's; only the passes are leaner (spec §6 B5): the loss at the current point is
/// cached instead of recomputed (same values), and each trial costs one forward and one input-gradient backward that
/// give both l(z1) and grad l(z1). The decoder's parameter gradients are never touched.
/// </remarks>
public sealed class AmdSolver
{
    readonly AmdOptions options;

    public AmdSolver(AmdOptions options)
    {
        if (Problem(options) is { } problem) throw new ArgumentException(problem, nameof(options));
        this.options = options;
    }

    /// <summary>Why these options cannot run (naming the sweep key), or null if they can.</summary>
    public static string? Problem(AmdOptions options)
    {
        if (!(options.Tau > 0) || !double.IsFinite(options.Tau)) return $"amd.tau must be a positive number, not {options.Tau}";
        if (!(options.Beta > 0 && options.Beta < 1)) return $"amd.beta must lie in (0, 1), not {options.Beta}";
        if (!(options.DtStart > 0)) return $"amd.dtStart must be positive, not {options.DtStart}";
        if (!(options.DtMax > 0)) return $"amd.dtMax must be positive, not {options.DtMax}";
        if (!(options.FallbackDt > 0)) return $"amd.fallbackDt must be positive, not {options.FallbackDt}";
        if (!(options.Growth > 0)) return $"amd.growth must be positive, not {options.Growth}";
        if (options.MaxHalvings < 1) return $"amd.maxHalvings must be at least 1, not {options.MaxHalvings}";
        if (options.Window < 2) return $"amd.window must be at least 2 (a slope needs two losses), not {options.Window}";
        return null;
    }

    public AmdOptions Options => options;

    /// <summary>
    /// Encodes <paramref name="images"/> [B, 784] by flowing from <paramref name="z0"/> [B, 20] through the
    /// <paramref name="decoder"/>'s loss landscape. <paramref name="trace"/>, if given, sees every trial.
    /// </summary>
    public AmdSolution Solve(Decoder decoder, Tensor images, Tensor z0, Action<AmdTrial>? trace = null)
    {
        using var solveScope = torch.NewDisposeScope();
        double tau = options.Tau;
        double smallestDt = Math.Pow(options.Beta, options.MaxHalvings);

        // before_integrate: the loss and the gradient at z0.
        var z = z0.detach();
        var (g, loss, _) = LossAndGradient(decoder, images, z);

        double t = 0, dt = options.DtStart;
        var monitored = new List<double>();
        bool converged = false;
        long accepted = 0, rejected = 0, forced = 0;

        while (!converged && t < tau)
        {
            using var trialScope = torch.NewDisposeScope();
            double timeBefore = t, trialDt = dt;
            Tensor z1;
            using (torch.no_grad())
                z1 = z - g * (double)(float)trialDt;   // the reference casts dt to float32 for the Euler step
            var (g1, loss1, gradientNormsSquared1) = LossAndGradient(decoder, images, z1);

            bool ok = SufficientDecrease(loss, loss1, gradientNormsSquared1, trialDt);
            bool isForced = false;
            if (dt < smallestDt)
            {
                // The fallback: accept z1 (made with the tiny dt) but advance time by a full fallback step.
                dt = Math.Min(options.FallbackDt, tau - t);
                ok = true;
                isForced = true;
            }

            double advance = 0;
            double? monitoredLoss = null;
            if (ok)
            {
                // The next step grows from this one but is clipped with the time BEFORE the step (spec §6 B3, PARITY).
                double nextDt = Math.Min(Math.Min(Math.Max(options.DtStart, options.Growth * dt), options.DtMax), tau - t);
                advance = dt;
                t += dt;
                z.Dispose();
                g.Dispose();
                z = z1.MoveToOuterDisposeScope();
                g = g1.MoveToOuterDisposeScope();
                var lossBefore = loss;
                loss = loss1;

                if ((tau - t) / tau <= options.MonitorFraction)
                {
                    monitoredLoss = Mean(loss);
                    monitored.Add(monitoredLoss.Value);
                    if (monitored.Count >= options.Window &&
                        Math.Abs(MeanSlope(monitored.GetRange(monitored.Count - options.Window, options.Window))) < options.Tolerance)
                        converged = true;
                }
                dt = nextDt;
                accepted++;
                if (isForced) forced++;
                trace?.Invoke(new AmdTrial(timeBefore, trialDt, true, isForced, advance, lossBefore, loss1,
                    gradientNormsSquared1, monitoredLoss, converged));
            }
            else
            {
                dt *= options.Beta;
                rejected++;
                trace?.Invoke(new AmdTrial(timeBefore, trialDt, false, false, 0, loss, loss1, gradientNormsSquared1, null, false));
            }
        }

        var latent = z.detach().MoveToOuterDisposeScope();
        return new AmdSolution(latent, new AmdStatistics(1, accepted, rejected, forced, converged ? 1 : 0), t);
    }

    /// <summary>
    /// The reference's acceptance test, for every image i: l_i(z) - l_i(z1) >= sigma * dt * dtmax * ||grad l_i(z1)||^2
    /// (spec §6 B4: gradient at the new point, times dtmax). Evaluated in float32 as the reference's tensors are.
    /// </summary>
    bool SufficientDecrease(float[] lossBefore, float[] lossAfter, float[] gradientNormsSquared, double dt)
    {
        float scale = (float)(options.Sigma * dt * options.DtMax);
        for (int i = 0; i < lossBefore.Length; i++)
            if (!(lossBefore[i] - lossAfter[i] >= scale * gradientNormsSquared[i]))
                return false;
        return true;
    }

    /// <summary>
    /// One forward and one input-gradient backward at z: grad_z L with L = sum_i l_i (samples are independent, so row
    /// i is grad l_i), the per-image losses and the squared gradient norms, both copied to the host as float32.
    /// The decoder's parameters get no .grad: the gradient is taken with respect to z only.
    /// </summary>
    public static (Tensor Gradient, float[] Losses, float[] GradientNormsSquared) LossAndGradient(Decoder decoder, Tensor images, Tensor z)
    {
        using var gradMode = torch.enable_grad();
        var leaf = z.detach().requires_grad_(true);
        // TorchSharp aborts the whole process on autograd.grad of an input that does not require grad.
        if (!leaf.requires_grad)
            throw new InvalidOperationException("AMD latent does not require grad; cannot take the flow gradient");
        var losses = ReconstructionLoss.PerImage(decoder.forward(leaf), images);
        var gradient = torch.autograd.grad([losses.sum()], [leaf])[0];
        using var noGrad = torch.no_grad();
        return (gradient, ToHost(losses.detach()), ToHost(gradient.square().sum(1)));
    }

    static float[] ToHost(Tensor values) => values.to(ScalarType.Float32).to(CPU).data<float>().ToArray();

    static double Mean(float[] values)
    {
        double sum = 0;
        foreach (var v in values) sum += v;
        return sum / values.Length;
    }

    /// <summary>
    /// mean(numpy.gradient(values)) with unit spacing: central differences inside, first-order differences at the two
    /// ends. For five values that is 0.3(L4 - L0) + 0.1(L1 - L3). The reference tests its magnitude for convergence.
    /// </summary>
    public static double MeanSlope(IReadOnlyList<double> values)
    {
        int n = values.Count;
        if (n < 2) throw new ArgumentException("a slope needs at least two values", nameof(values));
        double sum = (values[1] - values[0]) + (values[n - 1] - values[n - 2]);
        for (int i = 1; i < n - 1; i++)
            sum += (values[i + 1] - values[i - 1]) / 2;
        return sum / n;
    }
}
