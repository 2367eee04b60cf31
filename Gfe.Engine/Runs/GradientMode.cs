namespace Gfe.Engine.Runs;

/// <summary>How a latent-flow method turns the batch loss into decoder gradients (docs/method.md §3d, §3e).</summary>
public enum GradientMode
{
    /// <summary>z* is a constant: the gradient reaches theta only through the final decoder pass (PARITY, Table 1).</summary>
    Approximate,

    /// <summary>The exact gradient of theta -> l(z*(theta)) through the whole flow, by the backward adjoint (FIX).</summary>
    Adjoint,
}
