using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Models;

/// <summary>
/// The decoder's (and the mirrored encoder's) nonlinearity sigma, its slope sigma' and its curvature sigma'': the
/// torch modules apply it, the hand-written R-pass (<see cref="Flows.DecoderRPass"/>) needs both derivatives, and the
/// host kernels can use the scalar forms. One place, so every pass means the same function.
/// </summary>
/// <remarks>
/// elu (alpha = 1): sigma' = exp(min(a, 0)), sigma'' = exp(a) for a &lt;= 0, else 0.
/// relu: sigma' = [a &gt; 0], sigma'' = 0.
/// tanh: sigma' = 1 - tanh(a)^2, sigma'' = -2 tanh(a) sigma'.
/// silu (a * sigmoid(a)), s = sigmoid(a): sigma' = s (1 + a (1 - s)), sigma'' = s (1 - s) (2 + a (1 - 2 s)).
/// </remarks>
public static class ActivationFunctions
{
    /// <summary>sigma(a), elementwise. ELU goes through <see cref="ScalarSafe.Elu"/>: its alpha and scales are
    /// long-lived Scalars, not temporaries the GC may free mid-call.</summary>
    public static Tensor Apply(Activation activation, Tensor a) => activation switch
    {
        Activation.Elu => a.Elu(),
        Activation.Relu => a.relu(),
        Activation.Tanh => a.tanh(),
        Activation.Silu => a * a.sigmoid(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation"),
    };

    /// <summary>sigma'(a) and sigma''(a), elementwise, for the R-pass.</summary>
    public static (Tensor Slope, Tensor Curvature) Derivatives(Activation activation, Tensor a)
    {
        switch (activation)
        {
            case Activation.Elu:
            {
                var slope = a.NonPositivePart().exp();
                return (slope, slope * a.AtMostZero().to(a.dtype));
            }
            case Activation.Relu:
                return (a.gt(torch.zeros_like(a)).to(a.dtype), torch.zeros_like(a));
            case Activation.Tanh:
            {
                var h = a.tanh();
                var slope = (h * h).SubtractedFrom(1);
                return (slope, (h * slope).Times(-2));
            }
            case Activation.Silu:
            {
                var s = a.sigmoid();
                var notS = s.SubtractedFrom(1);
                var slope = s * (a * notS).PlusNumber(1);
                var curvature = s * notS * (a * s.Times(2).SubtractedFrom(1)).PlusNumber(2);
                return (slope, curvature);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation");
        }
    }

    /// <summary>sigma(a) for one number (host kernels, tests).</summary>
    public static double Value(Activation activation, double a) => activation switch
    {
        Activation.Elu => a > 0 ? a : Math.Exp(a) - 1,
        Activation.Relu => a > 0 ? a : 0,
        Activation.Tanh => Math.Tanh(a),
        Activation.Silu => a / (1 + Math.Exp(-a)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation"),
    };

    /// <summary>sigma'(a) for one number.</summary>
    public static double Slope(Activation activation, double a)
    {
        switch (activation)
        {
            case Activation.Elu: return Math.Exp(Math.Min(a, 0));
            case Activation.Relu: return a > 0 ? 1 : 0;
            case Activation.Tanh: { double h = Math.Tanh(a); return 1 - h * h; }
            case Activation.Silu: { double s = 1 / (1 + Math.Exp(-a)); return s * (1 + a * (1 - s)); }
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation");
        }
    }
}
