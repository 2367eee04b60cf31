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

    // Scalars that live as long as the process. TorchSharp turns a double operand (and the implicit alpha = 1 of add
    // and sub) into a temporary Scalar that the GC may finalize while the native op still reads it; under allocation
    // pressure that crashed runs with "toFloat ... Expected false to be true". Same arithmetic, so the same bits.
    static readonly Scalar EpsilonScalar = Epsilon.ToScalar();
    static readonly Scalar One = 1.0.ToScalar();

    /// <summary>l_i for each image: logits and images [B, 784] to losses [B].</summary>
    public static Tensor PerImage(Tensor logits, Tensor images)
    {
        var p = logits.sigmoid();
        var logP = p.add(EpsilonScalar, One).log();                               // log(p + eps)
        var logNotP = p.neg().add(One, One).add(EpsilonScalar, One).log();        // log(1 - p + eps)
        var notImages = images.neg().add(One, One);                               // 1 - x
        var perPixel = images.mul(logP).add(notImages.mul(logNotP), One).neg();
        return perPixel.mean([1]);
    }

    /// <summary>The batch loss L = sum_i l_i: a sum over the batch, as the reference trains and encodes with it.</summary>
    public static Tensor BatchSum(Tensor logits, Tensor images) => PerImage(logits, images).sum();
}
