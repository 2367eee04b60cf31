using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gfe.Engine.Kernels;

/// <summary>
/// C = bias + A·B for the decoder's small-M products (M = the latent batch, 1 to a few thousand rows; K, N at most
/// 784), row-major, in float32. The AVX-512 path keeps a 4-row by 64-column block of C in 16 registers while it walks
/// K: per step it loads one 64-wide row of B and broadcasts four values of A, 16 fused multiply-adds for 8 loads. The
/// sum over K runs in one fixed order whatever M is, so repeated runs and any row of any batch give the same bits.
/// </summary>
/// <remarks>
/// Callers pad: M to a multiple of <see cref="RowBlock"/> (spare rows are computed and ignored) and N to a multiple of
/// <see cref="Lanes"/> (B and the bias zero there). Rows of C depend only on the same rows of A.
/// </remarks>
public static class PanelGemm
{
    /// <summary>Rows of C computed together.</summary>
    public const int RowBlock = 4;

    /// <summary>Floats in one 512-bit register: N is padded to a multiple of this.</summary>
    public const int Lanes = 16;

    /// <summary>Whether the AVX-512 path runs here (else a scalar loop with the same summation order per element).</summary>
    public static bool Accelerated => Vector512.IsHardwareAccelerated;

    /// <summary>
    /// C[i, j] = bias[j] + sum_p A[i, p] B[p, j] for i &lt; m, j &lt; n, p &lt; k; <paramref name="bias"/> empty means 0.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n,
        ReadOnlySpan<float> bias, Span<float> c, int ldc, bool simd)
    {
        if (m % RowBlock != 0 || n % Lanes != 0)
            throw new ArgumentException($"PanelGemm needs m a multiple of {RowBlock} and n of {Lanes}, not m={m}, n={n}");
        if (k > lda || n > ldb || n > ldc || k < 1)
            throw new ArgumentException($"PanelGemm strides too small: k={k} lda={lda}, n={n} ldb={ldb} ldc={ldc}");
        if (a.Length < (long)(m - 1) * lda + k || b.Length < (long)(k - 1) * ldb + n || c.Length < (long)(m - 1) * ldc + n ||
            (bias.Length != 0 && bias.Length < n))
            throw new ArgumentException("PanelGemm operand shorter than its shape");
        if (simd && Accelerated) MultiplyVector(a, lda, b, ldb, m, k, n, bias, c, ldc);
        else MultiplyScalar(a, lda, b, ldb, m, k, n, bias, c, ldc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MultiplyScalar(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n,
        ReadOnlySpan<float> bias, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            float sum = bias.Length == 0 ? 0f : bias[j];
            for (int p = 0; p < k; p++)
                sum = MathF.FusedMultiplyAdd(a[i * lda + p], b[p * ldb + j], sum);
            c[i * ldc + j] = sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MultiplyVector(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n,
        ReadOnlySpan<float> bias, Span<float> c, int ldc)
    {
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float b0 = ref MemoryMarshal.GetReference(b);
        ref float c0 = ref MemoryMarshal.GetReference(c);
        bool hasBias = bias.Length != 0;
        ref float bias0 = ref MemoryMarshal.GetReference(bias);
        int wide = n / (4 * Lanes) * (4 * Lanes);
        // Column strips outermost: one strip of B (k x 64 floats) stays in cache while every row block passes it.
        for (int j = 0; j < wide; j += 4 * Lanes)
        for (int i = 0; i < m; i += RowBlock)
            Block4x4(ref Unsafe.Add(ref a0, i * lda), lda, ref Unsafe.Add(ref b0, j), ldb, k,
                hasBias, ref Unsafe.Add(ref bias0, hasBias ? j : 0), ref Unsafe.Add(ref c0, i * ldc + j), ldc);
        for (int j = wide; j < n; j += Lanes)
        for (int i = 0; i < m; i += RowBlock)
            Block4x1(ref Unsafe.Add(ref a0, i * lda), lda, ref Unsafe.Add(ref b0, j), ldb, k,
                hasBias, ref Unsafe.Add(ref bias0, hasBias ? j : 0), ref Unsafe.Add(ref c0, i * ldc + j), ldc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block4x4(ref float a, int lda, ref float b, int ldb, int k, bool hasBias, ref float bias, ref float c, int ldc)
    {
        Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        if (hasBias)
        {
            s0 = Vector512.LoadUnsafe(ref bias);
            s1 = Vector512.LoadUnsafe(ref bias, Lanes);
            s2 = Vector512.LoadUnsafe(ref bias, 2 * Lanes);
            s3 = Vector512.LoadUnsafe(ref bias, 3 * Lanes);
        }
        Vector512<float> c00 = s0, c01 = s1, c02 = s2, c03 = s3;
        Vector512<float> c10 = s0, c11 = s1, c12 = s2, c13 = s3;
        Vector512<float> c20 = s0, c21 = s1, c22 = s2, c23 = s3;
        Vector512<float> c30 = s0, c31 = s1, c32 = s2, c33 = s3;
        ref float a1 = ref Unsafe.Add(ref a, lda);
        ref float a2 = ref Unsafe.Add(ref a, 2 * lda);
        ref float a3 = ref Unsafe.Add(ref a, 3 * lda);
        for (int p = 0; p < k; p++)
        {
            ref float row = ref Unsafe.Add(ref b, p * ldb);
            var b0 = Vector512.LoadUnsafe(ref row);
            var b1 = Vector512.LoadUnsafe(ref row, Lanes);
            var b2 = Vector512.LoadUnsafe(ref row, 2 * Lanes);
            var b3 = Vector512.LoadUnsafe(ref row, 3 * Lanes);
            var x = Vector512.Create(Unsafe.Add(ref a, p));
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x, b2, c02); c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
            x = Vector512.Create(Unsafe.Add(ref a1, p));
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x, b2, c12); c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
            x = Vector512.Create(Unsafe.Add(ref a2, p));
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x, b2, c22); c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
            x = Vector512.Create(Unsafe.Add(ref a3, p));
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(x, b2, c32); c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
        }
        Store4(c00, c01, c02, c03, ref c);
        Store4(c10, c11, c12, c13, ref Unsafe.Add(ref c, ldc));
        Store4(c20, c21, c22, c23, ref Unsafe.Add(ref c, 2 * ldc));
        Store4(c30, c31, c32, c33, ref Unsafe.Add(ref c, 3 * ldc));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store4(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, ref float c)
    {
        v0.StoreUnsafe(ref c);
        v1.StoreUnsafe(ref c, Lanes);
        v2.StoreUnsafe(ref c, 2 * Lanes);
        v3.StoreUnsafe(ref c, 3 * Lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block4x1(ref float a, int lda, ref float b, int ldb, int k, bool hasBias, ref float bias, ref float c, int ldc)
    {
        var s = hasBias ? Vector512.LoadUnsafe(ref bias) : Vector512<float>.Zero;
        Vector512<float> c0 = s, c1 = s, c2 = s, c3 = s;
        ref float a1 = ref Unsafe.Add(ref a, lda);
        ref float a2 = ref Unsafe.Add(ref a, 2 * lda);
        ref float a3 = ref Unsafe.Add(ref a, 3 * lda);
        for (int p = 0; p < k; p++)
        {
            var row = Vector512.LoadUnsafe(ref Unsafe.Add(ref b, p * ldb));
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a, p)), row, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a1, p)), row, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a2, p)), row, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a3, p)), row, c3);
        }
        c0.StoreUnsafe(ref c);
        c1.StoreUnsafe(ref Unsafe.Add(ref c, ldc));
        c2.StoreUnsafe(ref Unsafe.Add(ref c, 2 * ldc));
        c3.StoreUnsafe(ref Unsafe.Add(ref c, 3 * ldc));
    }
}
