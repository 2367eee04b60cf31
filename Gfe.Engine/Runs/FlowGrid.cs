namespace Gfe.Engine.Runs;

/// <summary>The time grid of the fixed-grid flows, with its weight alpha(t) (docs/method.md §3a, "Grid: HEAD vs paper").</summary>
public enum FlowGrid
{
    /// <summary>linspace(0, tau, N) with alpha = 1: the reference code's active grid (PARITY).</summary>
    Linear,

    /// <summary>t_k = (tau/b)(b^(k/(N-1)) - 1) with alpha(t) = exp(-2t/tau): the paper's grid; it ends at tau(1 - 1/b).</summary>
    Log,
}
