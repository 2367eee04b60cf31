namespace Gfe.Engine.Runs;

/// <summary>
/// Settings of the adaptive minimise-distance (AMD) latent solver (docs/method.md §3c). The defaults are the
/// reference's MNIST configuration (PARITY), not the paper's text (which says beta = 0.75).
/// </summary>
public sealed record AmdOptions
{
    /// <summary>Flow horizon tau: the solve stops once t reaches it.</summary>
    public double Tau { get; init; } = 1e4;

    /// <summary>Initial and minimum restart step s0.</summary>
    public double DtStart { get; init; } = 1.0;

    /// <summary>Largest step smax; it also scales the Armijo right-hand side (docs/method.md §6.4).</summary>
    public double DtMax { get; init; } = 10.0;

    /// <summary>Growth factor kappa applied to the last accepted step.</summary>
    public double Growth { get; init; } = 1.1;

    /// <summary>Backtracking factor beta applied to dt after a rejected trial.</summary>
    public double Beta { get; init; } = 0.5;

    /// <summary>K: once dt falls below beta^K the step is force-accepted (the fallback of docs/method.md §3c).</summary>
    public int MaxHalvings { get; init; } = 20;

    /// <summary>Armijo sigma of the sufficient-decrease test.</summary>
    public double Sigma { get; init; } = 1e-5;

    /// <summary>The time step taken by a forced acceptance (conv_dtstep).</summary>
    public double FallbackDt { get; init; } = 10.0;

    /// <summary>Convergence monitoring starts when (tau - t)/tau falls to this value (0.98: t >= 0.02 tau).</summary>
    public double MonitorFraction { get; init; } = 0.98;

    /// <summary>Number of monitored batch-mean losses whose mean finite-difference slope is tested.</summary>
    public int Window { get; init; } = 5;

    /// <summary>Converged when |mean slope of the last Window losses| falls below this.</summary>
    public double Tolerance { get; init; } = 1e-5;

    /// <summary>
    /// Per-sample mode only: an image has converged when |its own loss slope| &lt; Tolerance x this. Batch mode tests the
    /// slope of the batch-mean loss, which averages B images' noisy slopes; one image's 5-point slope dips under the
    /// threshold by chance much earlier, so per-sample stopped early and tested worse (docs/performance.md).
    /// 1 (default) keeps the original per-sample rule.
    /// </summary>
    public double PerSampleToleranceScale { get; init; } = 1.0;

    /// <summary>Batch-coupled (the reference, default) or per-sample acceptance.</summary>
    public AmdMode Mode { get; init; } = AmdMode.Batch;

    /// <summary>Which decoder passes a trial runs; no effect on the result, only on the cost.</summary>
    public AmdPasses Passes { get; init; } = AmdPasses.ReuseProbe;

    /// <summary>Which code evaluates the decoder in the trials: torch ops or the host kernel (same algorithm). Torch
    /// for a bare AmdOptions; a run's setting defaults to auto (<see cref="RunConfig.Amd"/>).</summary>
    public AmdKernel Kernel { get; init; } = AmdKernel.Torch;
}
