namespace Gfe.Engine.Runs;

/// <summary>
/// Which decoder passes an AMD trial runs (docs/method.md §6.5, §7). All three make the same decisions and return the
/// same z*; they differ only in cost, and in which gradient norms a trace can show.
/// </summary>
public enum AmdPasses
{
    /// <summary>One forward and one input-gradient backward at the trial point on every trial, accepted or not.</summary>
    EveryTrial,

    /// <summary>
    /// A forward-only loss probe at the trial point; an image whose loss did not decrease fails the test whatever its
    /// gradient, so the backward runs only when the decision needs the gradient (and then z1 is forwarded again with
    /// autograd, on those images only).
    /// </summary>
    Recompute,

    /// <summary>
    /// Like <see cref="Recompute"/>, but the probe records the autograd graph, so a needed gradient costs only the
    /// backward (over all images of the probe).
    /// </summary>
    ReuseProbe,
}
