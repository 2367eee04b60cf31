using Gfe.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Losses;

/// <summary>
/// The reconstruction loss l(x, y) of a run (docs/method.md §2), per sample, with D the data's feature count:
/// <list type="bullet">
/// <item><c>bce</c>: the per-feature binary cross-entropy between soft targets x in [0,1] and sigmoid(y), averaged
/// over the D features. PARITY: the reference's sigmoid + eps form, not BCE-with-logits, so it saturates at
/// -ln(1e-8) = 18.42 per feature.</item>
/// <item><c>mse</c>: the mean squared error mean_j (y_j - x_j)^2 on the linear output, for real-valued data.</item>
/// </list>
/// The batch loss a run trains and encodes with is the sum over samples. Also here: the loss's first and second
/// derivatives in y, for the hand-written R-pass, and the map from output to reconstruction.
/// </summary>
public static class ReconstructionLoss
{
    public const double Epsilon = 1e-8;

    // Scalars that live as long as the process. TorchSharp turns a double operand (and the implicit alpha = 1 of add
    // and sub) into a temporary Scalar that the GC may finalize while the native op still reads it; under allocation
    // pressure that crashed runs with "toFloat ... Expected false to be true". Same arithmetic, so the same bits.
    static readonly Scalar EpsilonScalar = Epsilon.ToScalar();
    static readonly Scalar One = 1.0.ToScalar();

    /// <summary>l_i for each sample: outputs and data [B, D] to losses [B].</summary>
    public static Tensor PerImage(LossKind kind, Tensor output, Tensor images) => kind switch
    {
        LossKind.Bce => BcePerImage(output, images),
        LossKind.Mse => MsePerImage(output, images),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown loss"),
    };

    /// <summary>The batch loss L = sum_i l_i: a sum over the batch, as the reference trains and encodes with it.</summary>
    public static Tensor BatchSum(LossKind kind, Tensor output, Tensor images) => PerImage(kind, output, images).sum();

    /// <summary>The reconstruction in the data's units: sigmoid of the logits for BCE, the output itself for MSE.</summary>
    public static Tensor Reconstruction(LossKind kind, Tensor output) =>
        kind == LossKind.Bce ? output.sigmoid() : output;

    /// <summary>
    /// dl/dy and d2l/dy2 (the Hessian in y is diagonal), elementwise [B, D], for the R-pass: the R-derivative of dl/dy
    /// in a direction R{y} is the curvature times R{y}.
    /// </summary>
    public static (Tensor Gradient, Tensor Curvature) Derivatives(LossKind kind, Tensor y, Tensor images)
    {
        double perFeature = 1.0 / y.shape[1];
        switch (kind)
        {
            case LossKind.Bce:
            {
                double eps = Epsilon;
                var p = y.sigmoid();
                var q = p * p.SubtractedFrom(1);
                var notP = p.SubtractedFrom(1).PlusNumber(eps);   // 1 - p + eps
                var pEps = p.PlusNumber(eps);                     // p + eps
                var dark = images.SubtractedFrom(1) / notP;
                var bright = images / pEps;
                var contrast = dark.Minus(bright);
                var gradient = (q * contrast).Times(perFeature);
                // (q (1 - 2p)(dark - bright) + q^2 (dark / (1 - p + eps) + bright / (p + eps))) / D
                var curvature = (q * p.Times(2).SubtractedFrom(1) * contrast).Plus(q * q * (dark / notP).Plus(bright / pEps)).Times(perFeature);
                return (gradient, curvature);
            }
            case LossKind.Mse:
                // l = mean_j (y_j - x_j)^2: 2 (y - x) / D and 2 / D.
                return (y.Minus(images).Times(2 * perFeature), torch.ones_like(y).Times(2 * perFeature));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown loss");
        }
    }

    static Tensor BcePerImage(Tensor logits, Tensor images)
    {
        var p = logits.sigmoid();
        var logP = p.add(EpsilonScalar, One).log();                               // log(p + eps)
        var logNotP = p.neg().add(One, One).add(EpsilonScalar, One).log();        // log(1 - p + eps)
        var notImages = images.neg().add(One, One);                               // 1 - x
        var perPixel = images.mul(logP).add(notImages.mul(logNotP), One).neg();
        return perPixel.mean([1]);
    }

    static Tensor MsePerImage(Tensor output, Tensor images)
    {
        var difference = output.Minus(images);
        return (difference * difference).mean([1]);
    }
}
