using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine;

/// <summary>
/// Tensor arithmetic whose number operands live until the native operation has returned. TorchSharp turns a number
/// operand (<c>x * 2.0</c>, <c>1 - p</c>) and even the implicit alpha = 1 of every tensor <c>+</c> into a
/// temporary Scalar that nothing references during the native call, so the garbage collector may finalize it while
/// libtorch still reads it; under allocation pressure that killed runs ("INTERNAL ASSERT FAILED at Scalar.h",
/// docs/platform-notes.md). Each method here holds its Scalar across the call. The operations are the ones the
/// operators run, in the same order, so results are bit for bit those of the operator form.
/// </summary>
public static class ScalarSafe
{
    static readonly Scalar One = 1.0.ToScalar();
    static readonly Scalar Zero = 0.0.ToScalar();

    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a - b. TorchSharp's tensor sub takes no Scalar, so this one is safe as it is; it is here so that the
    /// flows read as one kind of arithmetic.</summary>
    public static Tensor Minus(this Tensor a, Tensor b) => a.sub(b);

    /// <summary>a * s.</summary>
    public static Tensor Times(this Tensor a, double s)
    {
        using var scalar = s.ToScalar();
        return a.mul(scalar);
    }

    /// <summary>a / s.</summary>
    public static Tensor Over(this Tensor a, double s)
    {
        using var scalar = s.ToScalar();
        return a.div(scalar);
    }

    /// <summary>a + s, elementwise.</summary>
    public static Tensor PlusNumber(this Tensor a, double s)
    {
        using var scalar = s.ToScalar();
        return a.add(scalar, One);
    }

    /// <summary>s - a, elementwise (as -a + s, which IEEE arithmetic rounds exactly like s - a).</summary>
    public static Tensor SubtractedFrom(this Tensor a, double s)
    {
        using var scalar = s.ToScalar();
        return a.neg().add(scalar, One);
    }

    /// <summary>a += b, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary>a += alpha * b, in place.</summary>
    public static Tensor PlusScaledInPlace(this Tensor a, Tensor b, double alpha)
    {
        using var scalar = alpha.ToScalar();
        return a.add_(b, scalar);
    }

    /// <summary>min(a, 0), elementwise.</summary>
    public static Tensor NonPositivePart(this Tensor a) => a.clamp_max(Zero);

    /// <summary>a &lt; s, elementwise, as a boolean tensor.</summary>
    public static Tensor Below(this Tensor a, double s)
    {
        using var scalar = s.ToScalar();
        return a.lt(scalar);
    }

    /// <summary>a &lt;= 0, elementwise, as a boolean tensor.</summary>
    public static Tensor AtMostZero(this Tensor a) => a.le(Zero);

    /// <summary>ELU with alpha = 1 (PyTorch's default), as nn.functional.elu(a, alpha: 1.0).</summary>
    public static Tensor Elu(this Tensor a) => a.elu(One, One, One);
}
