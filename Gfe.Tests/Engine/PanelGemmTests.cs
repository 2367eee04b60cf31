using Gfe.Engine.Kernels;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>
/// The packed product <see cref="PanelGemm"/> on odd sizes (widths that are no multiple of any register, one row, 17
/// rows: the edge block), on every SIMD path this CPU runs: against a double-precision reference, against the one
/// summation order written out in the test (so every path must give exactly those bits), and the promised zero
/// padding columns with nothing written past them.
/// </summary>
public class PanelGemmTests
{
    /// <summary>(m, k, n): one row and one column; B = 1 and B = 17 against the decoder's first layer; ragged everything.</summary>
    public static readonly TheoryData<int, int, int> Sizes = new()
    {
        { 1, 1, 1 }, { 1, 20, 150 }, { 17, 20, 150 }, { 17, 37, 33 }, { 5, 150, 20 }, { 9, 3, 49 }, { 24, 61, 97 },
    };

    static float[] Random(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    static int Padded(int n) => (n + PanelGemm.Lanes - 1) / PanelGemm.Lanes * PanelGemm.Lanes;

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Packed_product_matches_a_double_reference_and_the_fixed_summation_order_on_every_path(int m, int k, int n)
    {
        var random = new Random(m * 1000 + k * 10 + n);
        int lda = k + 3, ldc = Padded(n) + 5;   // strides wider than the rows, to catch a wrong stride
        var a = Random(random, m * lda);
        var b = Random(random, k * n);          // row-major [k, n]
        var bias = Random(random, n);
        var transposed = new float[n * k];      // B stored as its transpose [n, k], as torch stores a weight
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++)
                transposed[j * k + p] = b[p * n + j];

        // The one order every path must follow: c = bias, then c = fma(a[i, p], b[p, j], c) for p = 0, 1, ...
        var chain = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float c = bias[j];
                for (int p = 0; p < k; p++) c = MathF.FusedMultiplyAdd(a[i * lda + p], b[p * n + j], c);
                chain[i * n + j] = c;
            }

        foreach (var path in SimdPaths.Runnable)
            foreach (bool fromTranspose in new[] { false, true })
            {
                var packed = fromTranspose
                    ? PanelGemm.Pack(transposed, 1, k, k, n, bias, path)
                    : PanelGemm.Pack(b, n, 1, k, n, bias, path);
                var c = Enumerable.Repeat(float.NaN, (m - 1) * ldc + ldc).ToArray();
                PanelGemm.Multiply(a, lda, m, packed, c, ldc);
                string where = $"{SimdPaths.Name(path)} {(fromTranspose ? "transposed" : "row-major")} m={m} k={k} n={n}";
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        double reference = bias[j], magnitude = Math.Abs(bias[j]);
                        for (int p = 0; p < k; p++)
                        {
                            double term = (double)a[i * lda + p] * b[p * n + j];
                            reference += term;
                            magnitude += Math.Abs(term);
                        }
                        float value = c[i * ldc + j];
                        Assert.True(Math.Abs(value - reference) <= 1e-6 * magnitude + 1e-7,
                            $"{where} C[{i}, {j}] = {value}, double reference {reference}");
                        Assert.True(BitConverter.SingleToInt32Bits(chain[i * n + j]) == BitConverter.SingleToInt32Bits(value),
                            $"{where} C[{i}, {j}] = {value}, not the fixed-order chain's {chain[i * n + j]}");
                    }
                    for (int j = n; j < Padded(n); j++) Assert.Equal(0f, c[i * ldc + j]);
                    for (int j = Padded(n); j < ldc; j++) Assert.True(float.IsNaN(c[i * ldc + j]), $"{where} wrote C[{i}, {j}] past the padded width");
                }
            }
    }

    /// <summary>(m, k, n) for the product with the packed matrix's transpose: the decoder's backward at B = 16 and 8
    /// (600 -> 784, 20 -> 150), one row, k not a multiple of 16 (the last block overlaps), n past one and two panels.</summary>
    public static readonly TheoryData<int, int, int> TransposedSizes = new()
    {
        { 16, 600, 784 }, { 8, 20, 150 }, { 1, 16, 1 }, { 5, 17, 37 }, { 16, 33, 97 }, { 13, 150, 49 }, { 16, 16, 16 },
    };

    [Theory]
    [MemberData(nameof(TransposedSizes))]
    public void Product_with_the_transpose_gives_the_bits_of_the_other_packing(int m, int k, int n)
    {
        var random = new Random(m * 1000 + k * 10 + n);
        int lda = n + 3, ldc = Padded(k) + 5;
        var a = Random(random, m * lda);
        var wt = Random(random, k * n);   // the packed matrix B [k, n], row-major (a forward weight W^T [in, out])
        var bias = Random(random, n);
        var paths = SimdPaths.Runnable.Where(path => PanelGemm.TransposedFits(path, m, k)).ToList();
        Assert.Equal(SimdPaths.CanRun(SimdPath.Avx512) && k >= PanelGemm.Lanes, paths.Contains(SimdPath.Avx512));
        Assert.DoesNotContain(SimdPath.Avx2, paths);   // measured slower there in training; AVX2 keeps the backward's own panels
        // The chain written out, and the same product the usual way on the scalar path: B^T [n, k] packed with no bias.
        var scalar = new float[(m - 1) * ldc + ldc];
        PanelGemm.Multiply(a, lda, m, PanelGemm.Pack(wt, 1, n, n, k, ReadOnlySpan<float>.Empty, SimdPath.Scalar), scalar, ldc);
        foreach (var path in paths)
        {
            var packed = PanelGemm.Pack(wt, n, 1, k, n, bias, path);   // its bias must not enter
            var c = Enumerable.Repeat(float.NaN, (m - 1) * ldc + ldc).ToArray();
            PanelGemm.MultiplyTransposed(a, lda, m, packed, c, ldc);
            var other = new float[(m - 1) * ldc + ldc];
            PanelGemm.Multiply(a, lda, m, PanelGemm.Pack(wt, 1, n, n, k, ReadOnlySpan<float>.Empty, path), other, ldc);
            for (int i = 0; i < m; i++)
            {
                for (int p = 0; p < k; p++)
                {
                    float chain = 0;
                    double reference = 0, magnitude = 0;
                    for (int j = 0; j < n; j++)
                    {
                        chain = MathF.FusedMultiplyAdd(a[i * lda + j], wt[p * n + j], chain);
                        double term = (double)a[i * lda + j] * wt[p * n + j];
                        reference += term;
                        magnitude += Math.Abs(term);
                    }
                    float value = c[i * ldc + p];
                    string where = $"{SimdPaths.Name(path)} m={m} k={k} n={n} C[{i}, {p}] = {value}";
                    Assert.True(Math.Abs(value - reference) <= 1e-6 * magnitude + 1e-7, $"{where}, double reference {reference}");
                    Assert.True(BitConverter.SingleToInt32Bits(chain) == BitConverter.SingleToInt32Bits(value), $"{where}, not the chain's {chain}");
                    Assert.True(BitConverter.SingleToInt32Bits(other[i * ldc + p]) == BitConverter.SingleToInt32Bits(value), $"{where}, not the other packing's {other[i * ldc + p]}");
                    Assert.True(BitConverter.SingleToInt32Bits(scalar[i * ldc + p]) == BitConverter.SingleToInt32Bits(value), $"{where}, not the scalar path's {scalar[i * ldc + p]}");
                }
                for (int p = k; p < Padded(k); p++) Assert.Equal(0f, c[i * ldc + p]);
                for (int p = Padded(k); p < ldc; p++) Assert.True(float.IsNaN(c[i * ldc + p]), $"{SimdPaths.Name(path)} wrote C[{i}, {p}] past the padded width");
            }
        }
    }

    [Fact]
    public void Product_with_the_transpose_refuses_what_it_does_not_run()
    {
        Assert.False(PanelGemm.TransposedFits(SimdPath.Scalar, 16, 600));
        Assert.False(PanelGemm.TransposedFits(SimdPath.Vector128, 16, 600));
        Assert.False(PanelGemm.TransposedFits(SimdPath.Avx512, 17, 600));   // more rows than a register
        Assert.False(PanelGemm.TransposedFits(SimdPath.Avx512, 16, 15));    // fewer than a block of rows of B
        Assert.False(PanelGemm.TransposedFits(SimdPath.Avx2, 16, 600));
        var scalar = PanelGemm.Pack(new float[20 * 4], 4, 1, 20, 4, ReadOnlySpan<float>.Empty, SimdPath.Scalar);
        Assert.Throws<ArgumentException>(() => PanelGemm.MultiplyTransposed(new float[64], 4, 16, scalar, new float[16 * 32], 32));
        if (!SimdPaths.CanRun(SimdPath.Avx512)) return;
        var packed = PanelGemm.Pack(new float[20 * 4], 4, 1, 20, 4, ReadOnlySpan<float>.Empty, SimdPath.Avx512);
        Assert.Throws<ArgumentException>(() => PanelGemm.MultiplyTransposed(new float[64], 3, 16, packed, new float[16 * 32], 32));   // lda < n
        Assert.Throws<ArgumentException>(() => PanelGemm.MultiplyTransposed(new float[64], 4, 16, packed, new float[16 * 32], 16));  // ldc < 32
        Assert.Throws<ArgumentException>(() => PanelGemm.MultiplyTransposed(new float[63], 4, 16, packed, new float[16 * 32], 32));  // A short
    }

    /// <summary>Repacking into memory that held a larger shape leaves no stale panel behind; the unpacked overload agrees.</summary>
    [Fact]
    public void Repacking_into_used_memory_and_the_unpacked_overload_give_the_same_product()
    {
        var random = new Random(3);
        foreach (var path in SimdPaths.Runnable)
        {
            var large = PanelGemm.Pack(Random(random, 40 * 100), 100, 1, 40, 100, Random(random, 100), path);
            int m = 6, k = 7, n = 32;
            var a = Random(random, m * k);
            var b = Random(random, k * n);
            var reused = PanelGemm.Pack(b, n, 1, k, n, ReadOnlySpan<float>.Empty, path, large);
            Assert.Same(large, reused);
            var fresh = PanelGemm.Pack(b, n, 1, k, n, ReadOnlySpan<float>.Empty, path);
            var first = new float[m * n];
            var second = new float[m * n];
            var third = new float[m * n];
            PanelGemm.Multiply(a, k, m, reused, first, n);
            PanelGemm.Multiply(a, k, m, fresh, second, n);
            PanelGemm.Multiply(a, k, b, n, m, k, n, ReadOnlySpan<float>.Empty, third, n, path);
            Assert.Equal(DecoderKernelTests.Bits(second), DecoderKernelTests.Bits(first));
            Assert.Equal(DecoderKernelTests.Bits(second), DecoderKernelTests.Bits(third));
        }
    }

    [Fact]
    public void Operands_that_do_not_fit_their_shape_are_refused()
    {
        var path = SimdPaths.Fastest;
        Assert.Throws<ArgumentException>(() => PanelGemm.Pack(new float[10], 4, 1, 3, 4, ReadOnlySpan<float>.Empty, path));   // needs 12
        Assert.Throws<ArgumentException>(() => PanelGemm.Pack(new float[12], 4, 1, 3, 4, new float[3], path));               // bias short
        Assert.Throws<ArgumentException>(() => PanelGemm.Pack(new float[12], 4, 1, 0, 4, ReadOnlySpan<float>.Empty, path));
        var packed = PanelGemm.Pack(new float[12], 4, 1, 3, 4, ReadOnlySpan<float>.Empty, path);
        Assert.Throws<ArgumentException>(() => PanelGemm.Multiply(new float[6], 3, 2, packed, new float[32], 8));        // ldc < 16
        Assert.Throws<ArgumentException>(() => PanelGemm.Multiply(new float[6], 2, 2, packed, new float[32], 16));       // lda < k
        Assert.Throws<ArgumentException>(() => PanelGemm.Multiply(new float[5], 3, 2, packed, new float[32], 16));       // A short
        Assert.Throws<ArgumentException>(() => PanelGemm.Multiply(new float[6], 3, 0, packed, new float[32], 16));
    }
}
