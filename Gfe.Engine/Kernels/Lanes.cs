using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gfe.Engine.Kernels;

/// <summary>
/// One register of floats as the kernels' element-wise maths sees it, so that maths (exp, ln, the activations, the
/// losses) is written once, in <see cref="VectorMath"/>, and instantiated for each <see cref="SimdPath"/>: the JIT
/// specialises a generic method per struct and inlines these members, so the code is what hand-written intrinsics
/// would be. Every member is one correctly rounded IEEE operation (or exact), the same on every path: that is what
/// makes the paths agree bit for bit. No member fuses a multiply and an add unless it says so.
/// </summary>
public interface ILanes<T> where T : struct, ILanes<T>
{
    /// <summary>Floats per register.</summary>
    static abstract int Count { get; }

    static abstract T Load(ref float source);
    static abstract void Store(T value, ref float destination);
    static abstract T Create(float value);
    static abstract T operator +(T a, T b);
    static abstract T operator -(T a, T b);
    static abstract T operator *(T a, T b);
    static abstract T operator /(T a, T b);

    /// <summary>a * b + c with one rounding.</summary>
    static abstract T FusedMultiplyAdd(T a, T b, T c);

    /// <summary>Per lane: a &gt; b ? then : otherwise (false for NaN).</summary>
    static abstract T IfGreater(T a, T b, T then, T otherwise);

    /// <summary>Nearest integral value, ties to even.</summary>
    static abstract T Round(T x);

    /// <summary>2^n for integral n in [-126, 127], built from the exponent bits (exact).</summary>
    static abstract T PowerOfTwo(T n);

    /// <summary>For a positive normal x: its unbiased binary exponent e (as a float) and m = x / 2^e in [1, 2) (exact).</summary>
    static abstract T Split(T x, out T mantissa);
}

/// <summary>One float: the scalar path.</summary>
public readonly struct Lane1 : ILanes<Lane1>
{
    readonly float v;
    Lane1(float value) => v = value;
    public static int Count => 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 Load(ref float source) => new(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Lane1 value, ref float destination) => destination = value.v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 Create(float value) => new(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 operator +(Lane1 a, Lane1 b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 operator -(Lane1 a, Lane1 b) => new(a.v - b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 operator *(Lane1 a, Lane1 b) => new(a.v * b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 operator /(Lane1 a, Lane1 b) => new(a.v / b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 FusedMultiplyAdd(Lane1 a, Lane1 b, Lane1 c) => new(MathF.FusedMultiplyAdd(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 IfGreater(Lane1 a, Lane1 b, Lane1 then, Lane1 otherwise) => a.v > b.v ? then : otherwise;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 Round(Lane1 x) => new(MathF.Round(x.v, MidpointRounding.ToEven));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1 PowerOfTwo(Lane1 n) => new(BitConverter.Int32BitsToSingle(((int)n.v + 127) << 23));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Split(Lane1 x, out Lane1 mantissa)
    {
        int bits = BitConverter.SingleToInt32Bits(x.v);
        mantissa = new(BitConverter.Int32BitsToSingle((bits & 0x007FFFFF) | 0x3F800000));
        return new((bits >> 23) - 127);
    }
}

/// <summary>Four floats in .NET's portable Vector128: AdvSimd on ARM64, SSE/AVX on x64.</summary>
public readonly struct Lanes128 : ILanes<Lanes128>
{
    readonly Vector128<float> v;
    Lanes128(Vector128<float> value) => v = value;
    public static int Count => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Load(ref float source) => new(Vector128.LoadUnsafe(ref source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Lanes128 value, ref float destination) => value.v.StoreUnsafe(ref destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Create(float value) => new(Vector128.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 operator +(Lanes128 a, Lanes128 b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 operator -(Lanes128 a, Lanes128 b) => new(a.v - b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 operator *(Lanes128 a, Lanes128 b) => new(a.v * b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 operator /(Lanes128 a, Lanes128 b) => new(a.v / b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 FusedMultiplyAdd(Lanes128 a, Lanes128 b, Lanes128 c) => new(Vector128.FusedMultiplyAdd(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 IfGreater(Lanes128 a, Lanes128 b, Lanes128 then, Lanes128 otherwise) => new(Vector128.ConditionalSelect(Vector128.GreaterThan(a.v, b.v), then.v, otherwise.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 Round(Lanes128 x) => new(Vector128.Round(x.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128 PowerOfTwo(Lanes128 n) => new(Vector128.ShiftLeft(Vector128.ConvertToInt32(n.v) + Vector128.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 Split(Lanes128 x, out Lanes128 mantissa)
    {
        var bits = x.v.AsInt32();
        mantissa = new(((bits & Vector128.Create(0x007FFFFF)) | Vector128.Create(0x3F800000)).AsSingle());
        return new(Vector128.ConvertToSingle(Vector128.ShiftRightArithmetic(bits, 23) - Vector128.Create(127)));
    }
}

/// <summary>Eight floats in a 256-bit AVX2 register (FMA required).</summary>
public readonly struct Lanes256 : ILanes<Lanes256>
{
    readonly Vector256<float> v;
    Lanes256(Vector256<float> value) => v = value;
    public static int Count => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Load(ref float source) => new(Vector256.LoadUnsafe(ref source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Lanes256 value, ref float destination) => value.v.StoreUnsafe(ref destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Create(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 operator +(Lanes256 a, Lanes256 b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 operator -(Lanes256 a, Lanes256 b) => new(a.v - b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 operator *(Lanes256 a, Lanes256 b) => new(a.v * b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 operator /(Lanes256 a, Lanes256 b) => new(a.v / b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 FusedMultiplyAdd(Lanes256 a, Lanes256 b, Lanes256 c) => new(Vector256.FusedMultiplyAdd(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 IfGreater(Lanes256 a, Lanes256 b, Lanes256 then, Lanes256 otherwise) => new(Vector256.ConditionalSelect(Vector256.GreaterThan(a.v, b.v), then.v, otherwise.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 Round(Lanes256 x) => new(Vector256.Round(x.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256 PowerOfTwo(Lanes256 n) => new(Vector256.ShiftLeft(Vector256.ConvertToInt32(n.v) + Vector256.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Split(Lanes256 x, out Lanes256 mantissa)
    {
        var bits = x.v.AsInt32();
        mantissa = new(((bits & Vector256.Create(0x007FFFFF)) | Vector256.Create(0x3F800000)).AsSingle());
        return new(Vector256.ConvertToSingle(Vector256.ShiftRightArithmetic(bits, 23) - Vector256.Create(127)));
    }
}

/// <summary>Sixteen floats in a 512-bit AVX-512 register.</summary>
public readonly struct Lanes512 : ILanes<Lanes512>
{
    readonly Vector512<float> v;
    Lanes512(Vector512<float> value) => v = value;
    public static int Count => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Load(ref float source) => new(Vector512.LoadUnsafe(ref source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Lanes512 value, ref float destination) => value.v.StoreUnsafe(ref destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Create(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 operator +(Lanes512 a, Lanes512 b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 operator -(Lanes512 a, Lanes512 b) => new(a.v - b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 operator *(Lanes512 a, Lanes512 b) => new(a.v * b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 operator /(Lanes512 a, Lanes512 b) => new(a.v / b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 FusedMultiplyAdd(Lanes512 a, Lanes512 b, Lanes512 c) => new(Vector512.FusedMultiplyAdd(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 IfGreater(Lanes512 a, Lanes512 b, Lanes512 then, Lanes512 otherwise) => new(Vector512.ConditionalSelect(Vector512.GreaterThan(a.v, b.v), then.v, otherwise.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 Round(Lanes512 x) => new(Vector512.Round(x.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512 PowerOfTwo(Lanes512 n) => new(Vector512.ShiftLeft(Vector512.ConvertToInt32(n.v) + Vector512.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Split(Lanes512 x, out Lanes512 mantissa)
    {
        var bits = x.v.AsInt32();
        mantissa = new(((bits & Vector512.Create(0x007FFFFF)) | Vector512.Create(0x3F800000)).AsSingle());
        return new(Vector512.ConvertToSingle(Vector512.ShiftRightArithmetic(bits, 23) - Vector512.Create(127)));
    }
}
