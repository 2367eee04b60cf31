using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Losses;

/// <summary>
/// The reconstruction loss l(x, y) of engine-spec §2: the per-pixel binary cross-entropy between soft targets x in
/// [0,1] and sigmoid(y), averaged over the 784 pixels of each image. PARITY: this is the reference's sigmoid + eps form,
/// not BCE-with-logits, so it saturates at -ln(1e-8) = 18.42 per pixel.
/// </summary>
public static class ReconstructionLoss
{
    public const double Epsilon = 1e-8;

    /// <summary>l_i for each image: logits and images [B, 784] to losses [B].</summary>
    public static Tensor PerImage(Tensor logits, Tensor images)
    {
        var p = logits.sigmoid();
        var perPixel = -(images * (p + Epsilon).log() + (1.0 - images) * (1.0 - p + Epsilon).log());
        return perPixel.mean([1]);
    }

    /// <summary>The batch loss L = sum_i l_i: a sum over the batch, as the reference trains and encodes with it.</summary>
    public static Tensor BatchSum(Tensor logits, Tensor images) => PerImage(logits, images).sum();
}
