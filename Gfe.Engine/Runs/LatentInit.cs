namespace Gfe.Engine.Runs;

/// <summary>Where each latent flow starts (docs/method.md §3, "z0").</summary>
public enum LatentInit
{
    /// <summary>z0 ~ U[0,1)^20 per sample: what the reference does for GFE-amd (PARITY).</summary>
    Uniform,

    /// <summary>z0 = 0: what the paper writes.</summary>
    Zero,
}
