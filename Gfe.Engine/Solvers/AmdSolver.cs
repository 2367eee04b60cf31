using Gfe.Engine.Flows;
using Gfe.Engine.Kernels;
using Gfe.Engine.Data;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Solvers;

/// <summary>
/// The adaptive minimise-distance (AMD) solver of the gradient flow dz/dt = -grad_z l(z) (engine-spec §3c). In the
/// reference's batch-coupled PARITY form one time t, one step dt and one convergence flag are shared by the whole
/// batch, and a trial Euler step is accepted only if every image passes the sufficient-decrease test. In per-sample
/// form (spec §6 B1) every image runs that same algorithm alone, as if B = 1, and only the unfinished images are
/// carried through the decoder.
/// </summary>
/// <remarks>
/// The semantics are the reference's; only the passes are leaner (spec §6 B5): the loss at the current point is
/// cached instead of recomputed (same values), the loss at the trial point comes from a probe, and the input-gradient
/// backward runs only if the decision needs it (see <see cref="AmdPasses"/>). A loss that went up fails the test
/// whatever the gradient, because its right-hand side sigma*dt*dtmax*||g||^2 is never negative. The decoder's
/// parameter gradients are never touched.
/// </remarks>
public sealed class AmdSolver
{
    readonly AmdOptions options;
    readonly KernelAmdSolve? native;

    /// <remarks>With amd.kernel = native the solver keeps host buffers between solves: use one solver per thread.</remarks>
    /// <param name="simd">Native kernel only: the instruction set (null: <see cref="SimdPaths.Default"/>); tests and
    /// benchmarks force one.</param>
    public AmdSolver(AmdOptions options, SimdPath? simd = null)
    {
        if (Problem(options) is { } problem) throw new ArgumentException(problem, nameof(options));
        this.options = options;
        if (options.Kernel == AmdKernel.Native) native = new KernelAmdSolve(options, simd);
    }

    /// <summary>The SIMD path of the native kernel, or null on the torch path.</summary>
    public SimdPath? Simd => native?.Simd;

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
        if (!(options.PerSampleToleranceScale > 0) || !double.IsFinite(options.PerSampleToleranceScale))
            return $"amd.perSampleToleranceScale must be a positive number, not {options.PerSampleToleranceScale}";
        if (options.Window < 2) return $"amd.window must be at least 2 (a slope needs two losses), not {options.Window}";
        if (!System.Enum.IsDefined(options.Mode)) return $"amd.mode must be batch or per-sample, not {options.Mode}";
        if (!System.Enum.IsDefined(options.Kernel)) return $"amd.kernel must be torch or native, not {options.Kernel}";
        if (!System.Enum.IsDefined(options.Passes)) return $"AMD passes must be one of {string.Join(", ", System.Enum.GetNames<AmdPasses>())}, not {options.Passes}";
        return null;
    }

    public AmdOptions Options => options;

    /// <summary>
    /// Encodes <paramref name="images"/> [B, 784] by flowing from <paramref name="z0"/> [B, 20] through the
    /// <paramref name="decoder"/>'s loss landscape. <paramref name="trace"/>, if given, sees every trial (per-sample
    /// mode: every image's trial, with <see cref="AmdTrial.Sample"/> set). <paramref name="trajectory"/>, if given,
    /// receives z0 and every accepted point (batch-coupled mode), for the exact adjoint gradient; in per-sample mode,
    /// where every image has a time line of its own, <paramref name="sampleTrajectories"/> (one per image) receive
    /// each image's start [1, 20] and accepted points.
    /// </summary>
    public AmdSolution Solve(Decoder decoder, Tensor images, Tensor z0, Action<AmdTrial>? trace = null,
        TrajectoryRecorder? trajectory = null, IReadOnlyList<TrajectoryRecorder>? sampleTrajectories = null)
    {
        // Shape mistakes would otherwise surface as a native abort inside the decoder (platform.md §1.3).
        var shape = decoder.Shape;
        if (images.dim() != 2 || images.shape[1] != shape.OutputDim)
            throw new ArgumentException($"AMD images must be [B, {shape.OutputDim}], not [{string.Join(", ", images.shape)}]", nameof(images));
        if (z0.dim() != 2 || z0.shape[1] != shape.LatentDim || z0.shape[0] != images.shape[0])
            throw new ArgumentException($"AMD z0 must be [{images.shape[0]}, {shape.LatentDim}], not [{string.Join(", ", z0.shape)}]", nameof(z0));
        if (images.shape[0] == 0) throw new ArgumentException("AMD needs at least one image", nameof(images));
        if (trajectory is not null && options.Mode == AmdMode.PerSample)
            throw new ArgumentException("per-sample AMD has one time line per image: record it with sampleTrajectories", nameof(trajectory));
        if (sampleTrajectories is not null && (options.Mode != AmdMode.PerSample || sampleTrajectories.Count != images.shape[0]))
            throw new ArgumentException("sampleTrajectories needs amd.mode=per-sample and one recorder per image", nameof(sampleTrajectories));
        if (native is not null)
        {
            using var scope = torch.NewDisposeScope();
            var solution = options.Mode == AmdMode.PerSample
                ? native.PerSample(decoder, images, z0, trace, sampleTrajectories)
                : native.BatchCoupled(decoder, images, z0, trace, trajectory);
            return solution with { Latent = solution.Latent.to(images.device).MoveToOuterDisposeScope() };
        }
        return options.Mode == AmdMode.PerSample
            ? SolvePerSample(decoder, images, z0, trace, sampleTrajectories)
            : SolveBatchCoupled(decoder, images, z0, trace, trajectory);
    }

    AmdSolution SolveBatchCoupled(Decoder decoder, Tensor images, Tensor z0, Action<AmdTrial>? trace, TrajectoryRecorder? trajectory)
    {
        using var solveScope = torch.NewDisposeScope();
        double tau = options.Tau;
        double smallestDt = Math.Pow(options.Beta, options.MaxHalvings);
        int count = (int)images.shape[0];

        // before_integrate: the loss and the gradient at z0.
        var z = z0.detach();
        var (g, loss, _) = LossAndGradient(decoder, images, z);
        // No slopes: a forced step advances t by the fallback step while z moved by a tiny one, so -g is no dz/dt
        // there; the adjoint then interpolates the path linearly between accepted points.
        trajectory?.Add(0, z);

        double t = 0, dt = options.DtStart;
        var monitored = new List<double>();
        bool converged = false;
        long accepted = 0, rejected = 0, forced = 0, forwardRows = count, backwardRows = count;
        int round = 0;

        while (!converged && t < tau)
        {
            using var trialScope = torch.NewDisposeScope();
            double timeBefore = t, trialDt = dt;
            Tensor z1;
            using (torch.no_grad())
            // An explicit Scalar held to the end of the step: an implicit one is a temporary the GC may finalize while
            // the native op still reads it (see ReconstructionLoss). The reference casts dt to float32 for the step.
            using (var step = ((double)(float)trialDt).ToScalar())
                z1 = z.Minus(g.mul(step));
            var point = AmdTrialPoint.Probe(decoder, images, z1, options.Passes);
            var loss1 = point.Losses;

            bool isForced = dt < smallestDt;
            Tensor? g1 = null;
            var gradientNormsSquared1 = NotComputed(count);
            if (isForced || LossesDecreased(loss, loss1))
                (g1, gradientNormsSquared1) = point.Gradient(null);
            bool ok = g1 is not null && SufficientDecrease(loss, loss1, gradientNormsSquared1, trialDt);
            forwardRows += point.ForwardRows;
            backwardRows += point.BackwardRows;
            if (isForced)
            {
                // The fallback: accept z1 (made with the tiny dt) but advance time by a full fallback step.
                dt = Math.Min(options.FallbackDt, tau - t);
                ok = true;
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
                g = g1!.MoveToOuterDisposeScope();
                trajectory?.Add(t, z);
                var lossBefore = loss;
                loss = loss1;

                if ((tau - t) / tau <= options.MonitorFraction)
                {
                    monitoredLoss = Mean(loss);
                    monitored.Add(monitoredLoss.Value);
                    converged |= HasConverged(monitored, options.Window, options.Tolerance);
                }
                dt = nextDt;
                accepted++;
                if (isForced) forced++;
                trace?.Invoke(new AmdTrial(timeBefore, trialDt, true, isForced, advance, lossBefore, loss1,
                    gradientNormsSquared1, monitoredLoss, converged) { ActiveSamples = count, Round = round });
            }
            else
            {
                dt *= options.Beta;
                rejected++;
                trace?.Invoke(new AmdTrial(timeBefore, trialDt, false, false, 0, loss, loss1, gradientNormsSquared1, null, false)
                    { ActiveSamples = count, Round = round });
            }
            round++;
        }

        var latent = z.detach().MoveToOuterDisposeScope();
        return new AmdSolution(latent, new AmdStatistics(1, accepted, rejected, forced, converged ? 1 : 0), t)
        {
            SampleTimes = Enumerable.Repeat(t, count).ToArray(),
            RowsEvaluated = (long)round * count,
            ForwardRows = forwardRows,
            BackwardRows = backwardRows,
        };
    }

    /// <summary>
    /// Every image runs the batch-coupled algorithm with B = 1, step for step: its own t, dt, cached loss, loss window,
    /// convergence and fallback. A round carries only the images still flowing (not converged, t &lt; tau) through
    /// the decoder, gathered into one smaller batch, so finished images cost nothing.
    /// </summary>
    AmdSolution SolvePerSample(Decoder decoder, Tensor images, Tensor z0, Action<AmdTrial>? trace,
        IReadOnlyList<TrajectoryRecorder>? sampleTrajectories)
    {
        using var solveScope = torch.NewDisposeScope();
        double tau = options.Tau;
        double smallestDt = Math.Pow(options.Beta, options.MaxHalvings);
        int count = (int)images.shape[0];
        var device = images.device;

        // before_integrate for every image at once (rows are independent problems). z is updated in place by rows,
        // so it must not share storage with the caller's z0.
        var z = z0.detach().clone();
        var (g, loss, _) = LossAndGradient(decoder, images, z);
        if (sampleTrajectories is not null)
            for (int i = 0; i < count; i++)
                sampleTrajectories[i].Add(0, z.narrow(0, i, 1));

        var time = new double[count];
        var dt = Enumerable.Repeat(options.DtStart, count).ToArray();
        var monitored = Enumerable.Range(0, count).Select(_ => new List<double>()).ToArray();
        var converged = new bool[count];
        long accepted = 0, rejected = 0, forced = 0, rows = 0, forwardRows = count, backwardRows = count;
        int round = 0;
        int[] active = [];
        Tensor activeImages = images;

        while (true)
        {
            var flowing = Enumerable.Range(0, count).Where(i => !converged[i] && time[i] < tau).ToArray();
            if (flowing.Length == 0) break;
            using var trialScope = torch.NewDisposeScope();
            var activeIndex = torch.tensor(flowing.Select(i => (long)i).ToArray(), device: device);
            if (!flowing.SequenceEqual(active))
            {
                // The active set only shrinks, and rarely: gather the images again only when it changes.
                if (!ReferenceEquals(activeImages, images)) activeImages.Dispose();
                activeImages = flowing.Length == count ? images : images.index_select(0, activeIndex).MoveToOuterDisposeScope();
                active = flowing;
            }
            int n = active.Length;
            bool all = n == count;

            Tensor z1;
            using (torch.no_grad())
            {
                var za = all ? z : z.index_select(0, activeIndex);
                var ga = all ? g : g.index_select(0, activeIndex);
                // Each row's own dt, cast to float32 as the reference casts its scalar dt.
                var dtColumn = torch.tensor(active.Select(i => (float)dt[i]).ToArray(), [n, 1], device: device);
                z1 = za.Minus(ga.mul(dtColumn));
            }
            var point = AmdTrialPoint.Probe(decoder, activeImages, z1, options.Passes);
            var loss1 = point.Losses;
            rows += n;

            // Rows whose decision needs the gradient at z1: forced ones, and those whose loss did not go up.
            var isForced = active.Select(i => dt[i] < smallestDt).ToArray();
            var needed = Enumerable.Range(0, n).Where(r => isForced[r] || loss[active[r]] - loss1[r] >= 0f).ToArray();
            var norms = NotComputed(n);
            var gradientRow = new int[n];
            Tensor? g1 = null;
            if (needed.Length > 0)
            {
                float[] neededNorms;
                (g1, neededNorms) = point.Gradient(needed.Length == n ? null : needed.Select(r => (long)r).ToArray());
                for (int k = 0; k < needed.Length; k++)
                {
                    norms[needed[k]] = neededNorms[k];
                    gradientRow[needed[k]] = k;
                }
            }

            forwardRows += point.ForwardRows;
            backwardRows += point.BackwardRows;

            var acceptedRows = new List<long>();
            var acceptedGradientRows = new List<long>();
            for (int r = 0; r < n; r++)
            {
                int i = active[r];
                double timeBefore = time[i], trialDt = dt[i];
                float lossBefore = loss[i];
                bool ok = !float.IsNaN(norms[r]) &&
                          lossBefore - loss1[r] >= (float)(options.Sigma * trialDt * options.DtMax) * norms[r];
                if (isForced[r])
                {
                    dt[i] = Math.Min(options.FallbackDt, tau - time[i]);
                    ok = true;
                }

                double? monitoredLoss = null;
                if (ok)
                {
                    double nextDt = Math.Min(Math.Min(Math.Max(options.DtStart, options.Growth * dt[i]), options.DtMax), tau - time[i]);
                    double advance = dt[i];
                    time[i] += dt[i];
                    loss[i] = loss1[r];
                    acceptedRows.Add(r);
                    acceptedGradientRows.Add(gradientRow[r]);
                    sampleTrajectories?[i].Add(time[i], z1.narrow(0, r, 1));
                    if ((tau - time[i]) / tau <= options.MonitorFraction)
                    {
                        monitoredLoss = loss1[r];
                        monitored[i].Add(monitoredLoss.Value);
                        var window = monitored[i];
                        converged[i] |= HasConverged(window, options.Window, options.Tolerance * options.PerSampleToleranceScale);
                    }
                    dt[i] = nextDt;
                    accepted++;
                    if (isForced[r]) forced++;
                    trace?.Invoke(new AmdTrial(timeBefore, trialDt, true, isForced[r], advance, [lossBefore], [loss1[r]],
                        [norms[r]], monitoredLoss, converged[i]) { Sample = i, ActiveSamples = n, Round = round });
                }
                else
                {
                    dt[i] *= options.Beta;
                    rejected++;
                    trace?.Invoke(new AmdTrial(timeBefore, trialDt, false, false, 0, [lossBefore], [loss1[r]],
                        [norms[r]], null, false) { Sample = i, ActiveSamples = n, Round = round });
                }
            }

            if (acceptedRows.Count > 0)
                using (torch.no_grad())
                {
                    var targets = torch.tensor(acceptedRows.Select(r => (long)active[r]).ToArray(), device: device);
                    z.index_copy_(0, targets, z1.index_select(0, torch.tensor(acceptedRows.ToArray(), device: device)));
                    g.index_copy_(0, targets, g1!.index_select(0, torch.tensor(acceptedGradientRows.ToArray(), device: device)));
                }
            round++;
        }

        var latent = z.detach().MoveToOuterDisposeScope();
        var statistics = new AmdStatistics(count, accepted, rejected, forced, converged.Count(c => c));
        return new AmdSolution(latent, statistics, time.Max()) 
        {
            SampleTimes = time,
            RowsEvaluated = rows,
            ForwardRows = forwardRows,
            BackwardRows = backwardRows,
        };
    }

    static float[] NotComputed(int count) => Enumerable.Repeat(float.NaN, count).ToArray();

    /// <summary>Whether no image's loss went up; otherwise the test fails without looking at the gradient.</summary>
    static bool LossesDecreased(float[] lossBefore, float[] lossAfter)
    {
        for (int i = 0; i < lossBefore.Length; i++)
            if (!(lossBefore[i] - lossAfter[i] >= 0f))
                return false;
        return true;
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
        return (gradient, ToHost(losses.detach()), ToHost((gradient * gradient).sum(1)));
    }

    internal static float[] ToHost(Tensor values) => values.to(ScalarType.Float32).to(CPU).data<float>().ToArray();

    static double Mean(float[] values)
    {
        double sum = 0;
        foreach (var v in values) sum += v;
        return sum / values.Length;
    }

    /// <summary>The reference's convergence test (spec §3c): the mean slope of the last <paramref name="window"/>
    /// monitored losses is smaller in magnitude than <paramref name="tolerance"/>.</summary>
    internal static bool HasConverged(List<double> monitored, int window, double tolerance) =>
        monitored.Count >= window && Math.Abs(MeanSlope(monitored.GetRange(monitored.Count - window, window))) < tolerance;

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
