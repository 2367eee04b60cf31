using Gfe.Engine.Kernels;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// What the exact adjoints (<see cref="AdjointGradient"/>, <see cref="NesterovAdjoint"/>) ask of the decoder for one
/// batch of images: grad_z L, the R-pass's H v, and the flow integral of d/dtheta [v . grad_z L] that the R-passes add
/// up. Two implementations: <see cref="TorchAdjointPasses"/> (<see cref="DecoderRPass"/>) and
/// <see cref="KernelAdjointPasses"/> (the native <c>DecoderKernel.RPass</c>); <see cref="AdjointPassSource.For"/> says
/// which one a run uses.
/// </summary>
public interface IAdjointPasses
{
    /// <summary>grad_z L at z [B, latent].</summary>
    Tensor Gradient(Tensor z);

    /// <summary>H v at z in direction v, without touching the integral.</summary>
    Tensor HessianVector(Tensor z, Tensor v);

    /// <summary>H v at z in direction v, adding weight * d/dtheta [v . grad_z L] into the integral.</summary>
    Tensor Accumulate(Tensor z, Tensor v, double weight);

    /// <summary>The integral so far: one detached tensor per decoder parameter, decoder.parameters() order.</summary>
    Tensor[] Integral();
}

/// <summary>The torch R-pass (<see cref="DecoderRPass"/>), the integral in float tensors shaped as the parameters.</summary>
public sealed class TorchAdjointPasses : IAdjointPasses
{
    readonly Decoder decoder;
    readonly Tensor images;
    readonly Tensor[] integral;

    public TorchAdjointPasses(Decoder decoder, Tensor images)
    {
        this.decoder = decoder;
        this.images = images;
        integral = decoder.parameters().Select(p => torch.zeros_like(p, requires_grad: false)).ToArray();
    }

    public Tensor Gradient(Tensor z) => LatentGradient.Of(decoder, images, z);

    public Tensor HessianVector(Tensor z, Tensor v) => DecoderRPass.Run(decoder, images, z, v).HessianVector;

    public Tensor Accumulate(Tensor z, Tensor v, double weight) =>
        DecoderRPass.Run(decoder, images, z, v, integral, weight).HessianVector;

    public Tensor[] Integral() => integral;
}

/// <summary>
/// Where a run's exact adjoint takes its passes from, decided once when the run is built (<see cref="For"/>, the one
/// place that maps the settings to a kernel): torch (<see cref="TorchAdjointPasses"/>) or the native kernel
/// (<see cref="KernelAdjointPasses"/> on one <see cref="DecoderKernel"/> kept for the run). Hands out one
/// <see cref="IAdjointPasses"/> per batch (per image for per-sample AMD).
/// </summary>
/// <remarks>A native source keeps its kernel's buffers between batches: one source per run (per thread).</remarks>
public sealed class AdjointPassSource
{
    readonly DecoderKernel? kernel;   // null: torch

    AdjointPassSource(DecoderKernel? kernel) => this.kernel = kernel;

    /// <summary>The torch passes (<see cref="DecoderRPass"/>), what every adjoint ran before the native kernel.</summary>
    public static AdjointPassSource Torch { get; } = new(null);

    /// <summary>The native kernel's passes on a kernel of their own. <paramref name="simd"/>: the instruction set
    /// (null: <see cref="SimdPaths.Default"/>); tests and benchmarks force one.</summary>
    public static AdjointPassSource Native(SimdPath? simd = null) => new(new DecoderKernel(simd));

    /// <summary>
    /// The passes of a run of <paramref name="config"/> on this machine: gfe-rk4 and gfe-nesterov follow flow.kernel
    /// (the flow and its adjoint on one kernel), gfe-amd follows adjoint.kernel; auto resolves as amd.kernel's
    /// (<see cref="AmdKernels.Resolve"/>: native on a CPU, torch on a GPU).
    /// </summary>
    public static AdjointPassSource For(RunConfig config) => Resolved(config) == AmdKernel.Native ? Native() : Torch;

    /// <summary>The kernel a run of <paramref name="config"/> gives its adjoint on this machine (auto resolved); what
    /// <see cref="For"/> builds and runs.csv records (<see cref="AmdKernels.AdjointRan"/>).</summary>
    public static AmdKernel Resolved(RunConfig config) => AmdKernels.Resolve(Setting(config));

    /// <summary>The setting that chooses the adjoint's kernel for the run's method, before auto is resolved.</summary>
    public static AmdKernel Setting(RunConfig config) =>
        config.Method == RunMethod.GfeAmd ? config.Flow.AdjointKernel : config.Flow.Kernel;

    /// <summary>The adjoint's passes for one batch of <paramref name="images"/> at the <paramref name="decoder"/>'s
    /// current weights.</summary>
    public IAdjointPasses Passes(Decoder decoder, Tensor images) =>
        kernel is null ? new TorchAdjointPasses(decoder, images) : new KernelAdjointPasses(kernel, decoder, images);
}
