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
/// The adaptive minimise-distance (AMD) solver of the gradient flow dz/dt = -grad_z l(z) (docs/method.md §3c). In the
/// reference's batch-coupled PARITY form one time t, one step dt and one convergence flag are shared by the whole
/// batch, and a trial Euler step is accepted only if every image passes the sufficient-decrease test. In per-sample
/// form (docs/method.md §6.1) every image runs that same algorithm alone, as if B = 1, and only the unfinished images are
/// carried through the decoder.
/// </summary>
/// <remarks>
/// The semantics are the reference's; only the passes are leaner (docs/method.md §6.5): the loss at the current point is
/// cached instead of recomputed (same values), the loss at the trial point comes from a probe, and the input-gradient
/// backward runs only if the decision needs it (see <see cref="AmdPasses"/>). A loss that went up fails the test
/// whatever the gradient, because its right-hand side sigma*dt*dtmax*||g||^2 is never negative. The decoder's
/// parameter gradients are never touched. The rule itself is written once, in <see cref="AmdStepRule"/>, for both
/// modes; the decoder work goes through <see cref="TorchAmdTrials"/> (amd.kernel = torch) or
/// <see cref="KernelAmdTrials"/> (native).
/// </remarks>
public sealed class AmdSolver
{
    readonly AmdOptions options;
    readonly KernelAmdTrials? native;

    /// <remarks>With amd.kernel = native the solver keeps host buffers between solves: use one solver per thread.</remarks>
    /// <param name="simd">Native kernel only: the instruction set (null: <see cref="SimdPaths.Default"/>); tests and
    /// benchmarks force one.</param>
    public AmdSolver(AmdOptions options, SimdPath? simd = null)
    {
        if (Problem(options) is { } problem) throw new ArgumentException(problem, nameof(options));
        this.options = options;
        // auto is resolved here, when the run makes its solver (AmdKernels.Ran records the same resolution).
        if (AmdKernels.Resolve(options.Kernel) == AmdKernel.Native) native = new KernelAmdTrials(simd);
    }

    /// <summary>The kernel this solver runs (amd.kernel with auto resolved).</summary>
    public AmdKernel Kernel => native is null ? AmdKernel.Torch : AmdKernel.Native;

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
        if (!System.Enum.IsDefined(options.Kernel)) return $"amd.kernel must be auto, torch or native, not {options.Kernel}";
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
        // Shape mistakes would otherwise surface as a native abort inside the decoder (docs/platform-notes.md).
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
        int count = (int)images.shape[0];
        Action<int, double>? record = null;
        if (native is not null)
        {
            using var scope = torch.NewDisposeScope();
            native.Begin(decoder, images, z0);
            if (trajectory is not null) record = (_, t) => trajectory.Add(t, native.Points());
            else if (sampleTrajectories is not null) record = (i, t) => sampleTrajectories[i].Add(t, native.Point(i));
            var solution = AmdStepRule.Run(options, native, count, trace, record);
            return solution with { Latent = solution.Latent.to(images.device).MoveToOuterDisposeScope() };
        }
        // No slopes are recorded: a forced step advances t by the fallback step while z moved by a tiny one, so -g is
        // no dz/dt there; the adjoint then interpolates the path linearly between accepted points.
        using var trials = new TorchAmdTrials(decoder, images, z0, options.Passes);
        if (trajectory is not null) record = (_, t) => trajectory.Add(t, trials.Points());
        else if (sampleTrajectories is not null) record = (i, t) => sampleTrajectories[i].Add(t, trials.Point(i));
        return AmdStepRule.Run(options, trials, count, trace, record);
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
        var losses = ReconstructionLoss.PerImage(decoder.Shape.Loss, decoder.forward(leaf), images);
        var gradient = torch.autograd.grad([losses.sum()], [leaf])[0];
        using var noGrad = torch.no_grad();
        return (gradient, ToHost(losses.detach()), ToHost((gradient * gradient).sum(1)));
    }

    internal static float[] ToHost(Tensor values) => values.to(ScalarType.Float32).to(CPU).data<float>().ToArray();

    /// <summary>The reference's convergence test (docs/method.md §3c): the mean slope of the last <paramref name="window"/>
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
