using Gfe.Engine.Kernels;
using TorchSharp;

namespace Gfe.Engine.Runs;

/// <summary>
/// Which code evaluates the decoder inside AMD trials (docs/method.md §6.5/6.6). Both run the same algorithm with the same
/// decisions rule for rule (<see cref="Solvers.AmdStepRule"/>); they differ in float rounding (different summation
/// orders in the products), so a solve may take a different number of accepted steps on a knife-edge, and in speed.
/// </summary>
public enum AmdKernel
{
    /// <summary>TorchSharp ops: decoder forward, autograd backward to the latent (the original path).</summary>
    Torch,

    /// <summary>
    /// The host <see cref="Kernels.DecoderKernel"/>: the decoder's weights snapshotted once per solve, the forward, the
    /// loss and the backward to the latent in SIMD float32 loops, no torch op and no allocation per trial.
    /// </summary>
    Native,

    /// <summary>The run setting's default: native where the run trains on the CPU, torch on a GPU; resolved when the
    /// run's solver is made (<see cref="AmdKernels.Resolve"/>) and recorded in the run's result.</summary>
    Auto,
}

/// <summary>How <see cref="AmdKernel.Auto"/> resolves, and what a run records about the kernel that ran.</summary>
public static class AmdKernels
{
    /// <summary>
    /// The kernel that runs for <paramref name="kernel"/> on this machine: auto is native when the run's device is the
    /// CPU (no CUDA here: <see cref="Training.RunInputs.ChooseDevice"/> picks CUDA whenever it exists) and torch on a
    /// GPU, where the host kernel would copy every solve to the host and lose to the GPU's GEMMs.
    /// </summary>
    public static AmdKernel Resolve(AmdKernel kernel) =>
        kernel != AmdKernel.Auto ? kernel : torch.cuda.is_available() ? AmdKernel.Torch : AmdKernel.Native;

    /// <summary>
    /// What a run of <paramref name="config"/> on this machine records: the kernel that ran ("torch" or "native"): for
    /// gfe-amd and ae AMD's (amd.kernel), for gfe-rk4 and gfe-nesterov the flows' (flow.kernel); empty for simulate.
    /// Also the SIMD path of the native kernel (<see cref="SimdPaths.Name"/>; empty on the torch path).
    /// </summary>
    public static (string Kernel, string Simd) Ran(RunConfig config)
    {
        AmdKernel kernel;
        if (config.Method is RunMethod.GfeAmd or RunMethod.Ae) kernel = Resolve(config.Amd.Kernel);
        else if (config.Method is RunMethod.GfeRk4 or RunMethod.GfeNesterov) kernel = Resolve(config.Flow.Kernel);
        else return ("", "");
        return kernel == AmdKernel.Native ? ("native", SimdPaths.Name(SimdPaths.Default)) : ("torch", "");
    }

    /// <summary>
    /// The kernel of the exact adjoint's gradients and R-passes in a run of <paramref name="config"/> ("torch" or
    /// "native"), resolved as the run's own passes were (<see cref="Flows.AdjointPassSource.Resolved"/>); empty for a run
    /// without the adjoint (approximate gradient, ae, simulate).
    /// </summary>
    public static string AdjointRan(RunConfig config) =>
        config.Gradient != GradientMode.Adjoint || config.Method is not (RunMethod.GfeAmd or RunMethod.GfeRk4 or RunMethod.GfeNesterov)
            ? ""
            : Flows.AdjointPassSource.Resolved(config) == AmdKernel.Native ? "native" : "torch";
}
