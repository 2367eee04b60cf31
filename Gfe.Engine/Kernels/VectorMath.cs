using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gfe.Engine.Models;

namespace Gfe.Engine.Kernels;

/// <summary>
/// The decoder kernel's element-wise maths, written once over <see cref="ILanes{T}"/> and so identical, operation for
/// operation, on every <see cref="SimdPath"/>: exp and ln, the activations and their derivatives, the losses and their
/// derivatives, and a sum with a fixed order. Element-wise results do not depend on the register width at all; the
/// sum always adds element i into one of 16 running partial sums (i mod 16), whatever the width, then adds the 16.
/// </summary>
/// <remarks>
/// exp and ln are written here rather than taken from Vector512.Exp/Log: those live in the runtime library, where
/// tiered PGO left them several times slower in long runs, there is no scalar twin with the same bits, and they
/// differ by width. Pure maths: exp by range reduction to |r| &lt;= ln2/2 and a degree-7 Taylor polynomial (error below
/// 6e-9 relative); ln by the exponent split and ln m = 2 atanh((m - 1)/(m + 1)) on m in [sqrt(1/2), sqrt(2)) to s^9
/// (error below 1e-9). No multiply-add here is fused (the JIT does not contract a * b + c), so the scalar path
/// matches without emulating anything.
/// </remarks>
public static class VectorMath
{
    /// <summary>The running partial sums of <see cref="Sum"/>: element i goes to partial i mod 16.</summary>
    public const int SumLanes = 16;

    const float Log2E = 1.44269504f;
    // ln 2 split so that n * Ln2High is exact for |n| < 2^9: the reduced argument keeps full precision.
    const float Ln2High = 0.693359375f;
    const float Ln2Low = -2.12194440e-4f;
    const float Sqrt2 = 1.41421356f;

    /// <summary>e^x; arguments are clamped to [-87, 88], so e^x stays a finite, normal float (at least 1.6e-38).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Exp<T>(T x) where T : struct, ILanes<T>
    {
        x = T.IfGreater(x, T.Create(88f), T.Create(88f), x);
        x = T.IfGreater(T.Create(-87f), x, T.Create(-87f), x);
        var n = T.Round(x * T.Create(Log2E));
        var r = x - n * T.Create(Ln2High) - n * T.Create(Ln2Low);
        // Horner on 1 + r + r^2/2! + ... + r^7/7!
        var p = T.Create(1f / 5040);
        p = p * r + T.Create(1f / 720);
        p = p * r + T.Create(1f / 120);
        p = p * r + T.Create(1f / 24);
        p = p * r + T.Create(1f / 6);
        p = p * r + T.Create(0.5f);
        p = p * r + T.Create(1f);
        p = p * r + T.Create(1f);
        return p * T.PowerOfTwo(n);
    }

    /// <summary>ln x for positive, normal, finite x (the kernel calls it on p + 1e-8 and 1 - p + 1e-8 only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Log<T>(T x) where T : struct, ILanes<T>
    {
        var e = T.Split(x, out var m);   // m in [1, 2)
        var sqrt2 = T.Create(Sqrt2);
        e = T.IfGreater(m, sqrt2, e + T.Create(1f), e);
        m = T.IfGreater(m, sqrt2, m * T.Create(0.5f), m);
        var one = T.Create(1f);
        var s = (m - one) / (m + one);
        var s2 = s * s;
        var series = T.Create(1f / 9);
        series = series * s2 + T.Create(1f / 7);
        series = series * s2 + T.Create(1f / 5);
        series = series * s2 + T.Create(1f / 3);
        series = series * s2 + one;
        return e * T.Create(Ln2High) + (e * T.Create(Ln2Low) + T.Create(2f) * s * series);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static T Sigmoid<T>(T y) where T : struct, ILanes<T>
    {
        var one = T.Create(1f);
        return one / (one + Exp(T.Create(0f) - y));
    }

    /// <summary>
    /// h = f(u) in place over <paramref name="values"/> (its length a multiple of 16). Zero stays zero for every f, so
    /// padding columns stay zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Activate<T>(Activation activation, Span<float> values) where T : struct, ILanes<T>
    {
        ref float v0 = ref MemoryMarshal.GetReference(values);
        var zero = T.Create(0f);
        var one = T.Create(1f);
        switch (activation)
        {
            case Activation.Elu:
                for (int i = 0; i < values.Length; i += T.Count)
                {
                    ref float at = ref Unsafe.Add(ref v0, i);
                    var u = T.Load(ref at);
                    T.Store(T.IfGreater(u, zero, u, Exp(T.IfGreater(u, zero, zero, u)) - one), ref at);
                }
                break;
            case Activation.Relu:
                for (int i = 0; i < values.Length; i += T.Count)
                {
                    ref float at = ref Unsafe.Add(ref v0, i);
                    var u = T.Load(ref at);
                    T.Store(T.IfGreater(u, zero, u, zero), ref at);
                }
                break;
            case Activation.Tanh:
                // tanh u = 1 - 2 / (e^(2u) + 1): exact limits +-1 where exp clamps; absolute error a few 1e-8.
                for (int i = 0; i < values.Length; i += T.Count)
                {
                    ref float at = ref Unsafe.Add(ref v0, i);
                    var u = T.Load(ref at);
                    T.Store(one - T.Create(2f) / (Exp(u + u) + one), ref at);
                }
                break;
            case Activation.Silu:
                for (int i = 0; i < values.Length; i += T.Count)
                {
                    ref float at = ref Unsafe.Add(ref v0, i);
                    var u = T.Load(ref at);
                    T.Store(u * Sigmoid(u), ref at);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation");
        }
    }

    /// <summary>
    /// delta *= f'(u) in place. ELU, ReLU and tanh take f' from the output h = f(u) (ELU: 1 where h &gt; 0, else
    /// h + 1 = e^u; ReLU: 1 where h &gt; 0, else 0; tanh: 1 - h^2); SiLU from the pre-activation u:
    /// f'(u) = s (1 + u (1 - s)), s = sigmoid(u).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Derive<T>(Activation activation, Span<float> delta, ReadOnlySpan<float> output, ReadOnlySpan<float> preActivation)
        where T : struct, ILanes<T>
    {
        ref float d0 = ref MemoryMarshal.GetReference(delta);
        ref float h0 = ref MemoryMarshal.GetReference(output);
        ref float u0 = ref MemoryMarshal.GetReference(preActivation);
        var zero = T.Create(0f);
        var one = T.Create(1f);
        for (int i = 0; i < delta.Length; i += T.Count)
        {
            ref float d = ref Unsafe.Add(ref d0, i);
            T slope;
            switch (activation)
            {
                case Activation.Elu:
                {
                    var h = T.Load(ref Unsafe.Add(ref h0, i));
                    slope = T.IfGreater(h, zero, one, h + one);
                    break;
                }
                case Activation.Relu:
                    slope = T.IfGreater(T.Load(ref Unsafe.Add(ref h0, i)), zero, one, zero);
                    break;
                case Activation.Tanh:
                {
                    var h = T.Load(ref Unsafe.Add(ref h0, i));
                    slope = one - h * h;
                    break;
                }
                default:
                {
                    var u = T.Load(ref Unsafe.Add(ref u0, i));
                    var s = Sigmoid(u);
                    slope = s * (one + u * (one - s));
                    break;
                }
            }
            T.Store(T.Load(ref d) * slope, ref d);
        }
    }

    /// <summary>
    /// Per element of one sample: the loss term and dl/dy. BCE (docs/method.md §2, the reference's sigmoid + eps form):
    /// term -[x ln(p + eps) + (1 - x) ln(1 - p + eps)], p = sigmoid(y), derivative p(1 - p)[(1 - x)/(1 - p + eps) -
    /// x/(p + eps)] * scale. MSE: term (y - x)^2, derivative 2(y - x) * scale. scale = 1/D, so l = scale * sum of terms.
    /// Runs over [start, end) with <typeparamref name="T"/>'s width; the caller finishes a ragged tail with Lane1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LossTerms<T>(LossKind loss, ReadOnlySpan<float> y, ReadOnlySpan<float> x, Span<float> terms, Span<float> delta,
        int start, int end, float scale) where T : struct, ILanes<T>
    {
        ref float y0 = ref MemoryMarshal.GetReference(y);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float t0 = ref MemoryMarshal.GetReference(terms);
        ref float d0 = ref MemoryMarshal.GetReference(delta);
        var scaleV = T.Create(scale);
        var one = T.Create(1f);
        var eps = T.Create(Epsilon);
        for (int i = start; i + T.Count <= end; i += T.Count)
        {
            var yv = T.Load(ref Unsafe.Add(ref y0, i));
            var xv = T.Load(ref Unsafe.Add(ref x0, i));
            if (loss == LossKind.Bce)
            {
                var p = Sigmoid(yv);
                var notP = one - p;
                var notX = one - xv;
                T.Store(T.Create(0f) - (xv * Log(p + eps) + notX * Log(notP + eps)), ref Unsafe.Add(ref t0, i));
                T.Store(p * notP * (notX / (notP + eps) - xv / (p + eps)) * scaleV, ref Unsafe.Add(ref d0, i));
            }
            else
            {
                var difference = yv - xv;
                T.Store(difference * difference, ref Unsafe.Add(ref t0, i));
                T.Store((difference + difference) * scaleV, ref Unsafe.Add(ref d0, i));
            }
        }
    }

    /// <summary>
    /// f'(u) and f''(u) of one register of a hidden layer, for the R-pass: ELU, ReLU and tanh from the output h = f(u)
    /// as <see cref="Derive{T}"/> does (ELU: 1, 0 where h &gt; 0, else h + 1 twice; ReLU: 1 or 0, and 0; tanh: 1 - h^2
    /// and -2 h (1 - h^2)); SiLU from u: s (1 + u (1 - s)) and s (1 - s)(2 + u (1 - 2 s)), s = sigmoid(u).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void SlopeAndCurvature<T>(Activation activation, ref float h, ref float u, out T slope, out T curvature)
        where T : struct, ILanes<T>
    {
        var zero = T.Create(0f);
        var one = T.Create(1f);
        switch (activation)
        {
            case Activation.Elu:
            {
                var output = T.Load(ref h);
                var below = output + one;
                slope = T.IfGreater(output, zero, one, below);
                curvature = T.IfGreater(output, zero, zero, below);
                break;
            }
            case Activation.Relu:
                slope = T.IfGreater(T.Load(ref h), zero, one, zero);
                curvature = zero;
                break;
            case Activation.Tanh:
            {
                var output = T.Load(ref h);
                slope = one - output * output;
                curvature = T.Create(-2f) * output * slope;
                break;
            }
            default:
            {
                var input = T.Load(ref u);
                var s = Sigmoid(input);
                var notS = one - s;
                slope = s * (one + input * notS);
                curvature = s * notS * (T.Create(2f) + input * (one - (s + s)));
                break;
            }
        }
    }

    /// <summary>
    /// The R-forward through a hidden layer's activation: rh = f'(u) R{u}, with <paramref name="ra"/> = R{u} and the
    /// layer's output (and, for SiLU, its input) from the forward. Lengths a multiple of 16.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RForward<T>(Activation activation, Span<float> rh, ReadOnlySpan<float> ra, ReadOnlySpan<float> output,
        ReadOnlySpan<float> preActivation) where T : struct, ILanes<T>
    {
        ref float r0 = ref MemoryMarshal.GetReference(rh);
        ref float a0 = ref MemoryMarshal.GetReference(ra);
        ref float h0 = ref MemoryMarshal.GetReference(output);
        ref float u0 = ref MemoryMarshal.GetReference(preActivation);
        bool fromInput = activation == Activation.Silu;
        for (int i = 0; i < rh.Length; i += T.Count)
        {
            SlopeAndCurvature<T>(activation, ref Unsafe.Add(ref h0, fromInput ? 0 : i), ref Unsafe.Add(ref u0, fromInput ? i : 0),
                out var slope, out _);
            T.Store(slope * T.Load(ref Unsafe.Add(ref a0, i)), ref Unsafe.Add(ref r0, i));
        }
    }

    /// <summary>
    /// The backward and R-backward through a hidden layer's activation, in place: with dh = <paramref name="delta"/> and
    /// R{dh} = <paramref name="rdelta"/> on entry, rdelta = R{dh} f'(u) + (dh f''(u)) R{u} and delta = dh f'(u) on exit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RDerive<T>(Activation activation, Span<float> delta, Span<float> rdelta, ReadOnlySpan<float> ra,
        ReadOnlySpan<float> output, ReadOnlySpan<float> preActivation) where T : struct, ILanes<T>
    {
        ref float d0 = ref MemoryMarshal.GetReference(delta);
        ref float r0 = ref MemoryMarshal.GetReference(rdelta);
        ref float a0 = ref MemoryMarshal.GetReference(ra);
        ref float h0 = ref MemoryMarshal.GetReference(output);
        ref float u0 = ref MemoryMarshal.GetReference(preActivation);
        bool fromInput = activation == Activation.Silu;
        for (int i = 0; i < delta.Length; i += T.Count)
        {
            SlopeAndCurvature<T>(activation, ref Unsafe.Add(ref h0, fromInput ? 0 : i), ref Unsafe.Add(ref u0, fromInput ? i : 0),
                out var slope, out var curvature);
            ref float d = ref Unsafe.Add(ref d0, i);
            ref float r = ref Unsafe.Add(ref r0, i);
            var dh = T.Load(ref d);
            T.Store(T.Load(ref r) * slope + dh * curvature * T.Load(ref Unsafe.Add(ref a0, i)), ref r);
            T.Store(dh * slope, ref d);
        }
    }

    /// <summary>
    /// The loss's R-derivative per element of one sample: <paramref name="rdelta"/> holds R{y} on entry and
    /// d2l/dy2 R{y} on exit (the loss's Hessian in y is diagonal). BCE: (q (1 - 2p)(dark - bright) + q^2 (dark/(1 - p +
    /// eps) + bright/(p + eps))) * scale, q = p(1 - p), dark = (1 - x)/(1 - p + eps), bright = x/(p + eps); MSE:
    /// 2 * scale. Over [start, end) like <see cref="LossTerms{T}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LossCurvature<T>(LossKind loss, ReadOnlySpan<float> y, ReadOnlySpan<float> x, Span<float> rdelta,
        int start, int end, float scale) where T : struct, ILanes<T>
    {
        ref float y0 = ref MemoryMarshal.GetReference(y);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float r0 = ref MemoryMarshal.GetReference(rdelta);
        var scaleV = T.Create(scale);
        var one = T.Create(1f);
        var eps = T.Create(Epsilon);
        for (int i = start; i + T.Count <= end; i += T.Count)
        {
            ref float r = ref Unsafe.Add(ref r0, i);
            T curvature;
            if (loss == LossKind.Bce)
            {
                var xv = T.Load(ref Unsafe.Add(ref x0, i));
                var p = Sigmoid(T.Load(ref Unsafe.Add(ref y0, i)));
                var q = p * (one - p);
                var notP = one - p + eps;
                var pEps = p + eps;
                var dark = (one - xv) / notP;
                var bright = xv / pEps;
                curvature = (q * (one - (p + p)) * (dark - bright) + q * q * (dark / notP + bright / pEps)) * scaleV;
            }
            else curvature = T.Create(2f) * scaleV;
            T.Store(curvature * T.Load(ref r), ref r);
        }
    }

    /// <summary>
    /// into[i] = into[i] + values[i] * weight over [start, end) with <typeparamref name="T"/>'s width (a multiply, then an
    /// add: no fused rounding, so the caller's Lane1 tail gives the same bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScaled<T>(Span<float> into, ReadOnlySpan<float> values, float weight, int start, int end) where T : struct, ILanes<T>
    {
        ref float i0 = ref MemoryMarshal.GetReference(into);
        ref float v0 = ref MemoryMarshal.GetReference(values);
        var w = T.Create(weight);
        for (int i = start; i + T.Count <= end; i += T.Count)
        {
            ref float at = ref Unsafe.Add(ref i0, i);
            T.Store(T.Load(ref at) + T.Load(ref Unsafe.Add(ref v0, i)) * w, ref at);
        }
    }

    /// <summary>The BCE's eps (docs/method.md §2) in float32, as the reference adds it.</summary>
    public const float Epsilon = (float)Losses.ReconstructionLoss.Epsilon;

    /// <summary>
    /// The sum of <paramref name="values"/> (length a multiple of 16) in one fixed order: element i is added to
    /// partial sum i mod 16, in ascending i, then the 16 partials are added in order. Any width gives the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Sum<T>(ReadOnlySpan<float> values) where T : struct, ILanes<T>
    {
        Span<float> partial = stackalloc float[SumLanes];
        partial.Clear();
        ref float p0 = ref MemoryMarshal.GetReference(partial);
        ref float v0 = ref MemoryMarshal.GetReference(values);
        for (int b = 0; b < values.Length; b += SumLanes)
            for (int q = 0; q < SumLanes; q += T.Count)
            {
                ref float at = ref Unsafe.Add(ref p0, q);
                T.Store(T.Load(ref at) + T.Load(ref Unsafe.Add(ref v0, b + q)), ref at);
            }
        float sum = 0;
        for (int q = 0; q < SumLanes; q++) sum += partial[q];
        return sum;
    }
}
