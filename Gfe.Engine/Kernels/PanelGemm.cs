using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;

namespace Gfe.Engine.Kernels;

/// <summary>
/// C = bias + A·B for the decoder's small-M products (M = the latent batch, 1 to a few thousand rows; K, N the layer
/// widths), row-major, in float32, on any <see cref="SimdPath"/>. Every element is the same chain on every path:
/// c = bias[j], then c = fma(A[i, p], B[p, j], c) for p = 0, 1, ..., k - 1, one rounding per step. So the result does
/// not depend on the path, on M, or on where a row sits in the batch.
/// </summary>
/// <remarks>
/// Register blocking: a block of 4 rows by V registers of C stays in registers while the loop walks K; per step it
/// loads V registers of one row of B and broadcasts 4 values of A, 4V fused multiply-adds. V is as wide as the
/// register file allows: AVX-512 (32 registers) 4 x 4 x 16 floats, 16 accumulators; AVX2 (16 registers) 4 x 3 x 8
/// floats, 12 accumulators + 3 rows of B + 1 broadcast; Vector128 4 x 4 on ARM64 (32 registers), 4 x 3 on x64; the
/// scalar path the same generic code on single floats. Columns left over after the widest blocks get narrower ones.
/// Callers pad: M to a multiple of <see cref="RowBlock"/> (spare rows are computed and ignored) and N to a multiple of
/// <see cref="Lanes"/> (B and the bias zero there). Column strips run outermost, so one strip of B (k x 4V floats)
/// stays in cache while every row block passes it.
/// </remarks>
public static class PanelGemm
{
    /// <summary>Rows of C computed together.</summary>
    public const int RowBlock = 4;

    /// <summary>N is padded to a multiple of this (the widest register, 16 floats), the same for every path.</summary>
    public const int Lanes = 16;

    /// <summary>
    /// C[i, j] = bias[j] + sum_p A[i, p] B[p, j] for i &lt; m, j &lt; n, p &lt; k; <paramref name="bias"/> empty means 0.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n,
        ReadOnlySpan<float> bias, Span<float> c, int ldc, SimdPath path)
    {
        if (m % RowBlock != 0 || n % Lanes != 0)
            throw new ArgumentException($"PanelGemm needs m a multiple of {RowBlock} and n of {Lanes}, not m={m}, n={n}");
        if (k > lda || n > ldb || n > ldc || k < 1)
            throw new ArgumentException($"PanelGemm strides too small: k={k} lda={lda}, n={n} ldb={ldb} ldc={ldc}");
        if (a.Length < (long)(m - 1) * lda + k || b.Length < (long)(k - 1) * ldb + n || c.Length < (long)(m - 1) * ldc + n ||
            (bias.Length != 0 && bias.Length < n))
            throw new ArgumentException("PanelGemm operand shorter than its shape");
        if (!SimdPaths.CanRun(path)) throw new ArgumentException($"this CPU cannot run the {SimdPaths.Name(path)} path", nameof(path));
        switch (path)
        {
            case SimdPath.Avx512: Multiply<Lanes512>(a, lda, b, ldb, m, k, n, bias, c, ldc, 4); break;
            case SimdPath.Avx2: Multiply<Lanes256>(a, lda, b, ldb, m, k, n, bias, c, ldc, 3); break;
            case SimdPath.Vector128: Multiply<Lanes128>(a, lda, b, ldb, m, k, n, bias, c, ldc, AdvSimd.IsSupported ? 4 : 3); break;
            default: Multiply<Lane1>(a, lda, b, ldb, m, k, n, bias, c, ldc, 4); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Multiply<T>(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n,
        ReadOnlySpan<float> bias, Span<float> c, int ldc, int widest) where T : struct, ILanes<T>
    {
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float b0 = ref MemoryMarshal.GetReference(b);
        ref float c0 = ref MemoryMarshal.GetReference(c);
        bool hasBias = bias.Length != 0;
        ref float bias0 = ref MemoryMarshal.GetReference(bias);
        for (int j = 0; j < n;)
        {
            int vectors = Math.Min(widest, (n - j) / T.Count);
            ref float strip = ref Unsafe.Add(ref b0, j);
            ref float stripBias = ref Unsafe.Add(ref bias0, hasBias ? j : 0);
            for (int i = 0; i < m; i += RowBlock)
            {
                ref float rows = ref Unsafe.Add(ref a0, i * lda);
                ref float block = ref Unsafe.Add(ref c0, i * ldc + j);
                switch (vectors)
                {
                    case 4: Block4x4<T>(ref rows, lda, ref strip, ldb, k, hasBias, ref stripBias, ref block, ldc); break;
                    case 3: Block4x3<T>(ref rows, lda, ref strip, ldb, k, hasBias, ref stripBias, ref block, ldc); break;
                    case 2: Block4x2<T>(ref rows, lda, ref strip, ldb, k, hasBias, ref stripBias, ref block, ldc); break;
                    default: Block4x1<T>(ref rows, lda, ref strip, ldb, k, hasBias, ref stripBias, ref block, ldc); break;
                }
            }
            j += vectors * T.Count;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static T Start<T>(bool hasBias, ref float bias, int offset) where T : struct, ILanes<T> =>
        hasBias ? T.Load(ref Unsafe.Add(ref bias, offset)) : T.Create(0f);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block4x4<T>(ref float a, int lda, ref float b, int ldb, int k, bool hasBias, ref float bias, ref float c, int ldc)
        where T : struct, ILanes<T>
    {
        int w = T.Count;
        T s0 = Start<T>(hasBias, ref bias, 0), s1 = Start<T>(hasBias, ref bias, w);
        T s2 = Start<T>(hasBias, ref bias, 2 * w), s3 = Start<T>(hasBias, ref bias, 3 * w);
        T c00 = s0, c01 = s1, c02 = s2, c03 = s3;
        T c10 = s0, c11 = s1, c12 = s2, c13 = s3;
        T c20 = s0, c21 = s1, c22 = s2, c23 = s3;
        T c30 = s0, c31 = s1, c32 = s2, c33 = s3;
        ref float a1 = ref Unsafe.Add(ref a, lda);
        ref float a2 = ref Unsafe.Add(ref a, 2 * lda);
        ref float a3 = ref Unsafe.Add(ref a, 3 * lda);
        for (int p = 0; p < k; p++)
        {
            ref float row = ref Unsafe.Add(ref b, p * ldb);
            var b0 = T.Load(ref row);
            var b1 = T.Load(ref Unsafe.Add(ref row, w));
            var b2 = T.Load(ref Unsafe.Add(ref row, 2 * w));
            var b3 = T.Load(ref Unsafe.Add(ref row, 3 * w));
            var x = T.Create(Unsafe.Add(ref a, p));
            c00 = T.FusedMultiplyAdd(x, b0, c00); c01 = T.FusedMultiplyAdd(x, b1, c01);
            c02 = T.FusedMultiplyAdd(x, b2, c02); c03 = T.FusedMultiplyAdd(x, b3, c03);
            x = T.Create(Unsafe.Add(ref a1, p));
            c10 = T.FusedMultiplyAdd(x, b0, c10); c11 = T.FusedMultiplyAdd(x, b1, c11);
            c12 = T.FusedMultiplyAdd(x, b2, c12); c13 = T.FusedMultiplyAdd(x, b3, c13);
            x = T.Create(Unsafe.Add(ref a2, p));
            c20 = T.FusedMultiplyAdd(x, b0, c20); c21 = T.FusedMultiplyAdd(x, b1, c21);
            c22 = T.FusedMultiplyAdd(x, b2, c22); c23 = T.FusedMultiplyAdd(x, b3, c23);
            x = T.Create(Unsafe.Add(ref a3, p));
            c30 = T.FusedMultiplyAdd(x, b0, c30); c31 = T.FusedMultiplyAdd(x, b1, c31);
            c32 = T.FusedMultiplyAdd(x, b2, c32); c33 = T.FusedMultiplyAdd(x, b3, c33);
        }
        StoreRow(c00, c01, c02, c03, ref c, 4);
        StoreRow(c10, c11, c12, c13, ref Unsafe.Add(ref c, ldc), 4);
        StoreRow(c20, c21, c22, c23, ref Unsafe.Add(ref c, 2 * ldc), 4);
        StoreRow(c30, c31, c32, c33, ref Unsafe.Add(ref c, 3 * ldc), 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block4x3<T>(ref float a, int lda, ref float b, int ldb, int k, bool hasBias, ref float bias, ref float c, int ldc)
        where T : struct, ILanes<T>
    {
        int w = T.Count;
        T s0 = Start<T>(hasBias, ref bias, 0), s1 = Start<T>(hasBias, ref bias, w), s2 = Start<T>(hasBias, ref bias, 2 * w);
        T c00 = s0, c01 = s1, c02 = s2;
        T c10 = s0, c11 = s1, c12 = s2;
        T c20 = s0, c21 = s1, c22 = s2;
        T c30 = s0, c31 = s1, c32 = s2;
        ref float a1 = ref Unsafe.Add(ref a, lda);
        ref float a2 = ref Unsafe.Add(ref a, 2 * lda);
        ref float a3 = ref Unsafe.Add(ref a, 3 * lda);
        for (int p = 0; p < k; p++)
        {
            ref float row = ref Unsafe.Add(ref b, p * ldb);
            var b0 = T.Load(ref row);
            var b1 = T.Load(ref Unsafe.Add(ref row, w));
            var b2 = T.Load(ref Unsafe.Add(ref row, 2 * w));
            var x = T.Create(Unsafe.Add(ref a, p));
            c00 = T.FusedMultiplyAdd(x, b0, c00); c01 = T.FusedMultiplyAdd(x, b1, c01); c02 = T.FusedMultiplyAdd(x, b2, c02);
            x = T.Create(Unsafe.Add(ref a1, p));
            c10 = T.FusedMultiplyAdd(x, b0, c10); c11 = T.FusedMultiplyAdd(x, b1, c11); c12 = T.FusedMultiplyAdd(x, b2, c12);
            x = T.Create(Unsafe.Add(ref a2, p));
            c20 = T.FusedMultiplyAdd(x, b0, c20); c21 = T.FusedMultiplyAdd(x, b1, c21); c22 = T.FusedMultiplyAdd(x, b2, c22);
            x = T.Create(Unsafe.Add(ref a3, p));
            c30 = T.FusedMultiplyAdd(x, b0, c30); c31 = T.FusedMultiplyAdd(x, b1, c31); c32 = T.FusedMultiplyAdd(x, b2, c32);
        }
        StoreRow(c00, c01, c02, default, ref c, 3);
        StoreRow(c10, c11, c12, default, ref Unsafe.Add(ref c, ldc), 3);
        StoreRow(c20, c21, c22, default, ref Unsafe.Add(ref c, 2 * ldc), 3);
        StoreRow(c30, c31, c32, default, ref Unsafe.Add(ref c, 3 * ldc), 3);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block4x2<T>(ref float a, int lda, ref float b, int ldb, int k, bool hasBias, ref float bias, ref float c, int ldc)
        where T : struct, ILanes<T>
    {
        int w = T.Count;
        T s0 = Start<T>(hasBias, ref bias, 0), s1 = Start<T>(hasBias, ref bias, w);
        T c00 = s0, c01 = s1, c10 = s0, c11 = s1, c20 = s0, c21 = s1, c30 = s0, c31 = s1;
        ref float a1 = ref Unsafe.Add(ref a, lda);
        ref float a2 = ref Unsafe.Add(ref a, 2 * lda);
        ref float a3 = ref Unsafe.Add(ref a, 3 * lda);
        for (int p = 0; p < k; p++)
        {
            ref float row = ref Unsafe.Add(ref b, p * ldb);
            var b0 = T.Load(ref row);
            var b1 = T.Load(ref Unsafe.Add(ref row, w));
            var x = T.Create(Unsafe.Add(ref a, p));
            c00 = T.FusedMultiplyAdd(x, b0, c00); c01 = T.FusedMultiplyAdd(x, b1, c01);
            x = T.Create(Unsafe.Add(ref a1, p));
            c10 = T.FusedMultiplyAdd(x, b0, c10); c11 = T.FusedMultiplyAdd(x, b1, c11);
            x = T.Create(Unsafe.Add(ref a2, p));
            c20 = T.FusedMultiplyAdd(x, b0, c20); c21 = T.FusedMultiplyAdd(x, b1, c21);
            x = T.Create(Unsafe.Add(ref a3, p));
            c30 = T.FusedMultiplyAdd(x, b0, c30); c31 = T.FusedMultiplyAdd(x, b1, c31);
        }
        StoreRow(c00, c01, default, default, ref c, 2);
        StoreRow(c10, c11, default, default, ref Unsafe.Add(ref c, ldc), 2);
        StoreRow(c20, c21, default, default, ref Unsafe.Add(ref c, 2 * ldc), 2);
        StoreRow(c30, c31, default, default, ref Unsafe.Add(ref c, 3 * ldc), 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block4x1<T>(ref float a, int lda, ref float b, int ldb, int k, bool hasBias, ref float bias, ref float c, int ldc)
        where T : struct, ILanes<T>
    {
        var s = Start<T>(hasBias, ref bias, 0);
        T c0 = s, c1 = s, c2 = s, c3 = s;
        ref float a1 = ref Unsafe.Add(ref a, lda);
        ref float a2 = ref Unsafe.Add(ref a, 2 * lda);
        ref float a3 = ref Unsafe.Add(ref a, 3 * lda);
        for (int p = 0; p < k; p++)
        {
            var row = T.Load(ref Unsafe.Add(ref b, p * ldb));
            c0 = T.FusedMultiplyAdd(T.Create(Unsafe.Add(ref a, p)), row, c0);
            c1 = T.FusedMultiplyAdd(T.Create(Unsafe.Add(ref a1, p)), row, c1);
            c2 = T.FusedMultiplyAdd(T.Create(Unsafe.Add(ref a2, p)), row, c2);
            c3 = T.FusedMultiplyAdd(T.Create(Unsafe.Add(ref a3, p)), row, c3);
        }
        T.Store(c0, ref c);
        T.Store(c1, ref Unsafe.Add(ref c, ldc));
        T.Store(c2, ref Unsafe.Add(ref c, 2 * ldc));
        T.Store(c3, ref Unsafe.Add(ref c, 3 * ldc));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRow<T>(T v0, T v1, T v2, T v3, ref float c, int count) where T : struct, ILanes<T>
    {
        T.Store(v0, ref c);
        T.Store(v1, ref Unsafe.Add(ref c, T.Count));
        if (count > 2) T.Store(v2, ref Unsafe.Add(ref c, 2 * T.Count));
        if (count > 3) T.Store(v3, ref Unsafe.Add(ref c, 3 * T.Count));
    }
}
