namespace Gfe.Engine.Runs;

/// <summary>
/// Settings of the fixed-grid latent flows (GradientFlow, NesterovFlow) and of the adjoint gradient (docs/method.md §3a,
/// §3b, §3d). The defaults are the spec's recommendation: N = 100 points, tau = 1e4, the reference's linear grid.
/// </summary>
public sealed record FlowOptions
{
    /// <summary>N: grid points, including t = 0 (N - 1 RK4 steps).</summary>
    public int Points { get; init; } = 100;

    public FlowGrid Grid { get; init; } = FlowGrid.Linear;

    /// <summary>b of the log grid (the reference's default 4).</summary>
    public double LogBase { get; init; } = 4;

    /// <summary>Flow horizon tau (the linear grid ends there; the log grid at tau(1 - 1/b)).</summary>
    public double Tau { get; init; } = 1e4;

    /// <summary>eps in the Nesterov friction 3/(t + eps), which keeps it finite at t = 0.</summary>
    public double NesterovEps { get; init; } = 1e-5;

    /// <summary>z0 of the flows: zero, as the paper and the reference's GFE code do (the top-level z0 is AMD's).</summary>
    public LatentInit Z0 { get; init; } = LatentInit.Zero;

    /// <summary>How the adjoint is integrated backwards when <see cref="RunConfig.Gradient"/> is adjoint.</summary>
    public AdjointStepper AdjointStepper { get; init; } = AdjointStepper.Rk4;

    /// <summary>
    /// What evaluates the flows' right-hand side grad_z l (flow.kernel): the same three choices as amd.kernel, resolved
    /// by the same rule (<see cref="AmdKernels.Resolve"/>); native runs the flows on the host decoder kernel
    /// (<see cref="Flows.KernelFlows"/>). With the exact adjoint, the adjoint's gradients and R-passes run on the same
    /// choice (<see cref="Flows.AdjointPassSource.For"/>).
    /// </summary>
    public AmdKernel Kernel { get; init; } = AmdKernel.Auto;

    /// <summary>
    /// What runs the gradients and R-passes of GFE-amd's exact adjoint (adjoint.kernel): the same three choices as
    /// amd.kernel, resolved by the same rule. A setting of its own, not amd.kernel, because GFE-amd adjoint runs keyed
    /// with amd.kernel=auto computed their R-passes on torch. The flows' adjoints follow <see cref="Kernel"/>.
    /// </summary>
    public AmdKernel AdjointKernel { get; init; } = AmdKernel.Auto;
}
