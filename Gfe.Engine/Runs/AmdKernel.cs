namespace Gfe.Engine.Runs;

/// <summary>
/// Which code evaluates the decoder inside AMD trials (engine-spec §6 B5/B6). Both run the same algorithm with the same
/// decisions rule for rule; they differ in float rounding (different summation orders in the products), so a solve
/// may take a different number of accepted steps on a knife-edge, and in speed.
/// </summary>
public enum AmdKernel
{
    /// <summary>TorchSharp ops: decoder forward, autograd backward to the latent (the original path).</summary>
    Torch,

    /// <summary>
    /// The host <see cref="Kernels.DecoderKernel"/>: the decoder's weights snapshotted once per solve, the forward, the
    /// loss and the backward to the latent in hand-vectorised float32 loops, no torch op and no allocation per trial.
    /// </summary>
    Native,
}
