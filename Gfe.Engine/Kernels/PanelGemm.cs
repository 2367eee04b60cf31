using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Gfe.Engine.Kernels;

/// <summary>
/// C = bias + A·B for the decoder's small-M products (M = the latent batch, 1 to a few thousand rows; K, N the layer
/// widths), row-major, in float32, on any <see cref="SimdPath"/>. Every element is the same chain on every path:
/// c = bias[j], then c = fma(A[i, p], B[p, j], c) for p = 0, 1, ..., k - 1, one rounding per step. So the result does
/// not depend on the path, on M, or on where a row sits in the batch.
/// </summary>
/// <remarks>
/// B is packed first (<see cref="Pack"/>) into column panels of 3 registers' width, each panel's k rows contiguous:
/// the decoder's weights are the B of every product and stay fixed for the hundreds of trials of a solve, so they are
/// packed once per weight update and the micro-kernel then streams each panel front to back (what the hardware
/// prefetchers follow best; at B = 16 the 2.8 MB of a direction's weights come from L3 on every pass).
/// <para>
/// One micro-kernel per path: a block of R rows by 3 registers of C stays in registers while the loop walks k; per
/// step it loads 3 registers of the panel and broadcasts R values of A, 3R fused multiply-adds. R is as large as the
/// register file allows: 8 on AVX-512 and ARM64 (32 registers: 24 accumulators, 3 panel registers, 1 broadcast), 4
/// on AVX2, Vector128 on x64 and scalar (16 registers: 12 + 3 + 1). Measured on the decoder's eight products (forward
/// and backward, weights not in L2) on an AVX-512 Xeon: 8 x 3 beat 8 x 2, 6 x 4, 12 x 2 and 4 x 4 at B = 16 and
/// B = 256, and 4 x 3 beat 6 x 2, 4 x 2 and 8 x 1 on AVX2. Blocking over k (panel slices that fit L1) measured no
/// better and is not done; the sum over k is never split, which is what keeps every path's bits the same.
/// </para>
/// <para>
/// <see cref="MultiplyTransposed"/> multiplies by the transpose of packed panels, for the decoder's backward at a
/// batch of one register (up to 16 rows, AVX-512): the backward then reads the forward's panels, a trial streams one
/// copy of the weights (2.8 MB) instead of two, and with the forward running its panels last to first the backward
/// of the largest layer starts on panels still in L2. Measured on the AVX-512 Xeon (docs/performance.md, "One copy
/// of the weights at B = 16"): the decoder's eight products 13-15 % more GFLOP/s per CPU-second at B = 16, training
/// at parity 12 % more images per CPU-second (median of five runs each). Dropped after measuring: the same on AVX2
/// (products 7-9 % faster, but training 12 % slower), a 16 x 1 register micro-kernel (16 rows at once, so a panel is
/// read once per product; no faster than 8 x 3 at B = 16, 15 % slower at B = 256) and huge pages (madvise) for the
/// panels (no steady gain).
/// </para>
/// Rows of C past a multiple of R go through the same micro-kernel on a zero-padded copy (callers that pad M to
/// <see cref="RowBlock"/> never pay for it). C's columns up to n rounded up to <see cref="Lanes"/> are written (the
/// padding columns get zero), so ldc must leave room for them.
/// </remarks>
public static class PanelGemm
{
    /// <summary>C's columns are written up to n rounded up to this (the widest register, 16 floats).</summary>
    public const int Lanes = 16;

    /// <summary>Registers of C per micro-kernel row, on every path.</summary>
    const int Vectors = 3;

    /// <summary>Floats per register on <paramref name="path"/>.</summary>
    static int Width(SimdPath path) => path switch
    {
        SimdPath.Avx512 => 16,
        SimdPath.Avx2 => 8,
        SimdPath.Vector128 => 4,
        _ => 1,
    };

    /// <summary>Rows of C the micro-kernel of <paramref name="path"/> computes together; M a multiple of it runs at full speed.</summary>
    public static int RowBlock(SimdPath path) =>
        path == SimdPath.Avx512 || (path == SimdPath.Vector128 && AdvSimd.Arm64.IsSupported) ? 8 : 4;

    /// <summary>Columns per packed panel on <paramref name="path"/>.</summary>
    public static int PanelWidth(SimdPath path) => Vectors * Width(path);

    static int PadColumns(int n) => (n + Lanes - 1) / Lanes * Lanes;

    /// <summary>
    /// Packs B [k, n] for <paramref name="path"/>: element (p, j) is read at b[p * rowStride + j * columnStride], so a
    /// row-major B (columnStride 1) and the transpose of a row-major matrix (rowStride 1) pack alike.
    /// <paramref name="bias"/> (n values) or empty for none. Reuses <paramref name="into"/>'s memory when it is given
    /// and large enough.
    /// </summary>
    public static PackedPanels Pack(ReadOnlySpan<float> b, int rowStride, int columnStride, int k, int n, ReadOnlySpan<float> bias,
        SimdPath path, PackedPanels? into = null)
    {
        if (k < 1 || n < 1) throw new ArgumentException($"PanelGemm.Pack needs k and n of at least 1, not k={k}, n={n}");
        if (rowStride < 0 || columnStride < 0 || b.Length < (long)(k - 1) * rowStride + (long)(n - 1) * columnStride + 1)
            throw new ArgumentException($"PanelGemm.Pack: B of {b.Length} floats does not hold [{k}, {n}] at strides {rowStride}, {columnStride}");
        if (bias.Length != 0 && bias.Length < n) throw new ArgumentException($"PanelGemm.Pack: bias of {bias.Length} floats, fewer than n={n}");
        if (!SimdPaths.CanRun(path)) throw new ArgumentException($"this CPU cannot run the {SimdPaths.Name(path)} path", nameof(path));
        var packed = into is not null && into.Path == path ? into : new PackedPanels(path);
        // Enough panels to cover C's padded width, so the product writes every column it promises.
        int width = PanelWidth(path), panels = (PadColumns(n) + width - 1) / width;
        if (packed.Data.Length < panels * k * width) packed.Data = new float[panels * k * width];
        if (packed.Bias.Length < panels * width) packed.Bias = new float[panels * width];
        (packed.K, packed.N) = (k, n);

        // Written in order, read along up to a panel's width of columns at once: for the transpose of a row-major
        // matrix those are as many rows read front to back, which the caches follow. Bounds are checked above.
        ref float source = ref MemoryMarshal.GetReference(b);
        var data = packed.Data.AsSpan(0, panels * k * width);
        for (int panel = 0; panel < panels; panel++)
        {
            int first = panel * width, count = Math.Clamp(n - first, 0, width);
            for (int p = 0; p < k; p++)
            {
                var to = data.Slice((panel * k + p) * width, width);
                if (count > 0)
                {
                    ref float row = ref Unsafe.Add(ref source, (nint)p * rowStride + (nint)first * columnStride);
                    if (columnStride == 1) MemoryMarshal.CreateReadOnlySpan(ref row, count).CopyTo(to);
                    else for (int j = 0; j < count; j++) to[j] = Unsafe.Add(ref row, (nint)j * columnStride);
                }
                to[count..].Clear();   // past n (the memory may hold another shape's panels)
            }
        }
        var packedBias = packed.Bias.AsSpan(0, panels * width);
        packedBias.Clear();
        if (bias.Length != 0) bias[..n].CopyTo(packedBias);
        return packed;
    }

    /// <summary>
    /// The panels of <paramref name="packed"/> with a zero bias, sharing its packed data (the R-pass multiplies by the
    /// forward weights without their bias). Reuses <paramref name="into"/> when given; repeat after every repack.
    /// </summary>
    public static PackedPanels WithoutBias(PackedPanels packed, PackedPanels? into = null)
    {
        var view = into is not null && into.Path == packed.Path ? into : new PackedPanels(packed.Path);
        view.Data = packed.Data;
        (view.K, view.N) = (packed.K, packed.N);
        if (view.Bias.Length < packed.Bias.Length) view.Bias = new float[packed.Bias.Length];   // zeros, never written
        return view;
    }

    /// <summary>
    /// C[i, j] = bias[j] + sum_p A[i, p] B[p, j] for i &lt; m, j &lt; n, p &lt; k, with B and the bias packed by
    /// <see cref="Pack"/>; columns n to n rounded up to <see cref="Lanes"/> get zero.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, int lda, int m, PackedPanels b, Span<float> c, int ldc)
    {
        int k = b.K, columns = PadColumns(b.N);
        if (m < 1) throw new ArgumentException($"PanelGemm needs at least one row, not m={m}");
        if (k > lda || columns > ldc)
            throw new ArgumentException($"PanelGemm strides too small: k={k} lda={lda}, n={b.N} (padded {columns}) ldc={ldc}");
        if (a.Length < (long)(m - 1) * lda + k || c.Length < (long)(m - 1) * ldc + columns)
            throw new ArgumentException("PanelGemm operand shorter than its shape");
        if (!SimdPaths.CanRun(b.Path)) throw new ArgumentException($"this CPU cannot run the {SimdPaths.Name(b.Path)} path");
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float c0 = ref MemoryMarshal.GetReference(c);
        int rows = RowBlock(b.Path), whole = m / rows * rows;
        if (whole > 0)
            Run(b, ref a0, lda, whole, ref c0, ldc, rows);
        if (whole < m)
        {
            // The last rows through the same micro-kernel, on a zero-padded copy of their A and into a scratch C.
            int panelColumns = (columns + PanelWidth(b.Path) - 1) / PanelWidth(b.Path) * PanelWidth(b.Path);
            var edgeA = Scratch(ref edgeRows, rows * k);
            var edgeC = Scratch(ref edgeProducts, rows * panelColumns);
            edgeA.Clear();
            for (int r = whole; r < m; r++) a.Slice(r * lda, k).CopyTo(edgeA.Slice((r - whole) * k, k));
            Run(b, ref MemoryMarshal.GetReference(edgeA), k, rows, ref MemoryMarshal.GetReference(edgeC), panelColumns, rows);
            for (int r = whole; r < m; r++) edgeC.Slice((r - whole) * panelColumns, columns).CopyTo(c.Slice(r * ldc, columns));
        }
    }

    /// <summary>
    /// The same product with B [k, n] row-major (stride ldb) and <paramref name="bias"/> (empty for none) given as they
    /// are: packs them into per-thread scratch first. n must be a multiple of <see cref="Lanes"/>. For operands used
    /// once; a B used many times is packed once with <see cref="Pack"/>.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, int m, int k, int n,
        ReadOnlySpan<float> bias, Span<float> c, int ldc, SimdPath path)
    {
        if (n % Lanes != 0) throw new ArgumentException($"PanelGemm needs n a multiple of {Lanes}, not n={n}");
        if (n > ldb) throw new ArgumentException($"PanelGemm strides too small: n={n} ldb={ldb}");
        scratchPanels = Pack(b, ldb, 1, k, n, bias, path, scratchPanels);
        Multiply(a, lda, m, scratchPanels, c, ldc);
    }

    [ThreadStatic] static PackedPanels? scratchPanels;
    [ThreadStatic] static float[]? edgeRows, edgeProducts;

    static Span<float> Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = new float[length];
        return buffer.AsSpan(0, length);
    }

    static void Run(PackedPanels b, ref float a, int lda, int m, ref float c, int ldc, int rows)
    {
        switch (b.Path)
        {
            case SimdPath.Avx512: Run<Lanes512>(b, ref a, lda, m, ref c, ldc, rows); break;
            case SimdPath.Avx2: Run<Lanes256>(b, ref a, lda, m, ref c, ldc, rows); break;
            case SimdPath.Vector128: Run<Lanes128>(b, ref a, lda, m, ref c, ldc, rows); break;
            default: Run<Lane1>(b, ref a, lda, m, ref c, ldc, rows); break;
        }
    }

    /// <summary>m a multiple of <paramref name="rows"/>. Panels run outermost, so a panel stays in cache while every
    /// row block passes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Run<T>(PackedPanels b, ref float a, int lda, int m, ref float c, int ldc, int rows) where T : struct, ILanes<T>
    {
        int k = b.K, width = Vectors * T.Count, columns = PadColumns(b.N);
        ref float data = ref MemoryMarshal.GetArrayDataReference(b.Data);
        ref float bias = ref MemoryMarshal.GetArrayDataReference(b.Bias);
        int panels = (columns + width - 1) / width;
        // On AVX-512 last panel first (the columns are independent): the backward through the transpose
        // (MultiplyTransposed) then starts on the panels read most recently, the likeliest still in L2. Elsewhere first
        // to last, one stream through memory.
        bool reverse = T.Count == Lanes;
        for (int step = 0; step < panels; step++)
        {
            int panel = reverse ? panels - 1 - step : step, first = panel * width;
            // Registers of this panel that fall inside C's padded width (the last panel may stick out past it).
            int store = Math.Min(Vectors, (columns - first) / T.Count);
            ref float panelData = ref Unsafe.Add(ref data, (nint)panel * k * width);
            ref float panelBias = ref Unsafe.Add(ref bias, first);
            for (int i = 0; i < m; i += rows)
            {
                ref float block = ref Unsafe.Add(ref c, (nint)i * ldc + first);
                ref float rowsOfA = ref Unsafe.Add(ref a, (nint)i * lda);
                if (rows == 8) Block8x3<T>(ref rowsOfA, lda, ref panelData, k, ref panelBias, ref block, ldc, store);
                else Block4x3<T>(ref rowsOfA, lda, ref panelData, k, ref panelBias, ref block, ldc, store);
            }
        }
    }

    /// <summary>8 rows by 3 registers: 24 accumulators (AVX-512, ARM64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block8x3<T>(ref float a, nint lda, ref float panel, int k, ref float bias, ref float c, nint ldc, int store)
        where T : struct, ILanes<T>
    {
        int w = T.Count;
        T s0 = T.Load(ref bias), s1 = T.Load(ref Unsafe.Add(ref bias, w)), s2 = T.Load(ref Unsafe.Add(ref bias, 2 * w));
        T c00 = s0, c01 = s1, c02 = s2, c10 = s0, c11 = s1, c12 = s2, c20 = s0, c21 = s1, c22 = s2, c30 = s0, c31 = s1, c32 = s2;
        T c40 = s0, c41 = s1, c42 = s2, c50 = s0, c51 = s1, c52 = s2, c60 = s0, c61 = s1, c62 = s2, c70 = s0, c71 = s1, c72 = s2;
        // Row offsets held in registers: the loop then only advances two pointers.
        nint r2 = 2 * lda, r3 = 3 * lda, r4 = 4 * lda, r5 = 5 * lda, r6 = 6 * lda, r7 = 7 * lda;
        ref float x = ref a;
        ref float y = ref panel;
        for (int p = 0; p < k; p++)
        {
            PrefetchPanel<T>(ref y);
            var b0 = T.Load(ref y);
            var b1 = T.Load(ref Unsafe.Add(ref y, w));
            var b2 = T.Load(ref Unsafe.Add(ref y, 2 * w));
            var v = T.Create(x);
            c00 = T.FusedMultiplyAdd(v, b0, c00); c01 = T.FusedMultiplyAdd(v, b1, c01); c02 = T.FusedMultiplyAdd(v, b2, c02);
            v = T.Create(Unsafe.Add(ref x, lda));
            c10 = T.FusedMultiplyAdd(v, b0, c10); c11 = T.FusedMultiplyAdd(v, b1, c11); c12 = T.FusedMultiplyAdd(v, b2, c12);
            v = T.Create(Unsafe.Add(ref x, r2));
            c20 = T.FusedMultiplyAdd(v, b0, c20); c21 = T.FusedMultiplyAdd(v, b1, c21); c22 = T.FusedMultiplyAdd(v, b2, c22);
            v = T.Create(Unsafe.Add(ref x, r3));
            c30 = T.FusedMultiplyAdd(v, b0, c30); c31 = T.FusedMultiplyAdd(v, b1, c31); c32 = T.FusedMultiplyAdd(v, b2, c32);
            v = T.Create(Unsafe.Add(ref x, r4));
            c40 = T.FusedMultiplyAdd(v, b0, c40); c41 = T.FusedMultiplyAdd(v, b1, c41); c42 = T.FusedMultiplyAdd(v, b2, c42);
            v = T.Create(Unsafe.Add(ref x, r5));
            c50 = T.FusedMultiplyAdd(v, b0, c50); c51 = T.FusedMultiplyAdd(v, b1, c51); c52 = T.FusedMultiplyAdd(v, b2, c52);
            v = T.Create(Unsafe.Add(ref x, r6));
            c60 = T.FusedMultiplyAdd(v, b0, c60); c61 = T.FusedMultiplyAdd(v, b1, c61); c62 = T.FusedMultiplyAdd(v, b2, c62);
            v = T.Create(Unsafe.Add(ref x, r7));
            c70 = T.FusedMultiplyAdd(v, b0, c70); c71 = T.FusedMultiplyAdd(v, b1, c71); c72 = T.FusedMultiplyAdd(v, b2, c72);
            x = ref Unsafe.Add(ref x, 1);
            y = ref Unsafe.Add(ref y, 3 * w);
        }
        StoreRow(c00, c01, c02, ref c, store);
        StoreRow(c10, c11, c12, ref Unsafe.Add(ref c, ldc), store);
        StoreRow(c20, c21, c22, ref Unsafe.Add(ref c, 2 * ldc), store);
        StoreRow(c30, c31, c32, ref Unsafe.Add(ref c, 3 * ldc), store);
        StoreRow(c40, c41, c42, ref Unsafe.Add(ref c, 4 * ldc), store);
        StoreRow(c50, c51, c52, ref Unsafe.Add(ref c, 5 * ldc), store);
        StoreRow(c60, c61, c62, ref Unsafe.Add(ref c, 6 * ldc), store);
        StoreRow(c70, c71, c72, ref Unsafe.Add(ref c, 7 * ldc), store);
    }

    /// <summary>4 rows by 3 registers: 12 accumulators (AVX2, Vector128 on x64, scalar).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block4x3<T>(ref float a, nint lda, ref float panel, int k, ref float bias, ref float c, nint ldc, int store)
        where T : struct, ILanes<T>
    {
        int w = T.Count;
        T s0 = T.Load(ref bias), s1 = T.Load(ref Unsafe.Add(ref bias, w)), s2 = T.Load(ref Unsafe.Add(ref bias, 2 * w));
        T c00 = s0, c01 = s1, c02 = s2, c10 = s0, c11 = s1, c12 = s2, c20 = s0, c21 = s1, c22 = s2, c30 = s0, c31 = s1, c32 = s2;
        nint r2 = 2 * lda, r3 = 3 * lda;
        ref float x = ref a;
        ref float y = ref panel;
        for (int p = 0; p < k; p++)
        {
            PrefetchPanel<T>(ref y);
            var b0 = T.Load(ref y);
            var b1 = T.Load(ref Unsafe.Add(ref y, w));
            var b2 = T.Load(ref Unsafe.Add(ref y, 2 * w));
            var v = T.Create(x);
            c00 = T.FusedMultiplyAdd(v, b0, c00); c01 = T.FusedMultiplyAdd(v, b1, c01); c02 = T.FusedMultiplyAdd(v, b2, c02);
            v = T.Create(Unsafe.Add(ref x, lda));
            c10 = T.FusedMultiplyAdd(v, b0, c10); c11 = T.FusedMultiplyAdd(v, b1, c11); c12 = T.FusedMultiplyAdd(v, b2, c12);
            v = T.Create(Unsafe.Add(ref x, r2));
            c20 = T.FusedMultiplyAdd(v, b0, c20); c21 = T.FusedMultiplyAdd(v, b1, c21); c22 = T.FusedMultiplyAdd(v, b2, c22);
            v = T.Create(Unsafe.Add(ref x, r3));
            c30 = T.FusedMultiplyAdd(v, b0, c30); c31 = T.FusedMultiplyAdd(v, b1, c31); c32 = T.FusedMultiplyAdd(v, b2, c32);
            x = ref Unsafe.Add(ref x, 1);
            y = ref Unsafe.Add(ref y, 3 * w);
        }
        StoreRow(c00, c01, c02, ref c, store);
        StoreRow(c10, c11, c12, ref Unsafe.Add(ref c, ldc), store);
        StoreRow(c20, c21, c22, ref Unsafe.Add(ref c, 2 * ldc), store);
        StoreRow(c30, c31, c32, ref Unsafe.Add(ref c, 3 * ldc), store);
    }

    /// <summary>
    /// Whether <see cref="MultiplyTransposed"/> runs for <paramref name="m"/> rows of A against panels of
    /// <paramref name="k"/> rows on <paramref name="path"/>: AVX-512, at most one register of rows (16), k at least 16.
    /// </summary>
    public static bool TransposedFits(SimdPath path, int m, int k) =>
        path == SimdPath.Avx512 && SimdPaths.CanRun(path) && m >= 1 && m <= Lanes && k >= Lanes;

    /// <summary>
    /// C[i, p] = sum_j A[i, j] B[p, j] for i &lt; m, p &lt; k, j &lt; n: the product with the transpose of the packed
    /// B [k, n] (its bias unused), so the decoder's backward runs on the forward's panels. Every element is the chain
    /// c = 0, then c = fma(A[i, j], B[p, j], c) for j = 0, 1, ..., n - 1: the bits of <see cref="Multiply(ReadOnlySpan{float}, int, int, PackedPanels, Span{float}, int)"/>
    /// on B packed the other way round with a zero bias. Columns k to k rounded up to <see cref="Lanes"/> get zero.
    /// Only where <see cref="TransposedFits"/>.
    /// </summary>
    /// <remarks>
    /// The batch is the register: A's (at most 16) rows are transposed into A^T [n, 16], so one register holds A[., j]
    /// for every row, and a block of 16 rows of B (p) keeps 16 accumulators C[., p] while it walks j through the
    /// panels, each step one load of A^T and 16 fused multiply-adds with B[p, j] broadcast straight from the panel
    /// (an embedded broadcast). The block's registers are transposed back into C's rows. Blocks of p that would pass k
    /// start at k - 16 instead and recompute a few columns, with the same bits.
    /// </remarks>
    public static void MultiplyTransposed(ReadOnlySpan<float> a, int lda, int m, PackedPanels b, Span<float> c, int ldc)
    {
        int k = b.K, n = b.N, columns = PadColumns(k);
        if (!TransposedFits(b.Path, m, k))
            throw new ArgumentException($"PanelGemm.MultiplyTransposed needs the avx512 path, 1 to {Lanes} rows and k of at least {Lanes}, not {SimdPaths.Name(b.Path)}, m={m}, k={k}");
        if (n > lda || columns > ldc)
            throw new ArgumentException($"PanelGemm strides too small: n={n} lda={lda}, k={k} (padded {columns}) ldc={ldc}");
        if (a.Length < (long)(m - 1) * lda + n || c.Length < (long)(m - 1) * ldc + columns)
            throw new ArgumentException("PanelGemm operand shorter than its shape");
        int tiles = (n + Lanes - 1) / Lanes;
        var transposed = Scratch(ref transposedRows, tiles * Lanes * Lanes);
        MultiplyTransposed512(a, lda, m, b, transposed, c, ldc);
    }

    [ThreadStatic] static float[]? transposedRows;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void MultiplyTransposed512(ReadOnlySpan<float> a, int lda, int m, PackedPanels b, Span<float> at, Span<float> c, int ldc)
    {
        int k = b.K, n = b.N, width = PanelWidth(SimdPath.Avx512), blocks = (k + Lanes - 1) / Lanes;
        var sums = Scratch(ref blockSums, blocks * Lanes * Lanes);
        float* tile = stackalloc float[Lanes * Lanes];
        fixed (float* a0 = a, at0 = at, s0 = sums, c0 = c, w0 = b.Data)
        {
            // A^T, 16 columns of A at a time; rows past m and columns past n are zero.
            for (int first = 0; first < n; first += Lanes)
            {
                int count = Math.Min(Lanes, n - first);
                if (m == Lanes && count == Lanes)
                    Transpose16(a0 + first, lda, at0 + (nint)first * Lanes, Lanes);
                else
                {
                    new Span<float>(tile, Lanes * Lanes).Clear();
                    for (int i = 0; i < m; i++)
                        new ReadOnlySpan<float>(a0 + (nint)i * lda + first, count).CopyTo(new Span<float>(tile + i * Lanes, count));
                    Transpose16(tile, Lanes, at0 + (nint)first * Lanes, Lanes);
                }
            }
            // Panel by panel (j ascending), and in each panel its blocks of 16 rows front to back: the panels are read
            // once, as one stream, while a panel's 48 columns of A^T stay in L1. Each block carries its 16 sums from
            // panel to panel in memory (stored and loaded exactly), so every sum is still the one chain over j.
            nint panelStride = (nint)k * width;
            float* panel = w0;
            for (int first = 0; first < n; first += width, panel += panelStride)
            {
                int count = Math.Min(width, n - first);
                for (int block = 0; block < blocks; block++)
                {
                    int start = Math.Min(block * Lanes, k - Lanes);
                    TransposedBlock(at0 + (nint)first * Lanes, panel + (nint)start * width, count, first == 0, s0 + (nint)block * Lanes * Lanes);
                }
            }
            for (int block = 0; block < blocks; block++)
            {
                int start = Math.Min(block * Lanes, k - Lanes);
                float* blockSum = s0 + (nint)block * Lanes * Lanes;
                if (m == Lanes) Transpose16(blockSum, Lanes, c0 + start, ldc);
                else
                {
                    Transpose16(blockSum, Lanes, tile, Lanes);
                    for (int i = 0; i < m; i++)
                        new ReadOnlySpan<float>(tile + i * Lanes, Lanes).CopyTo(new Span<float>(c0 + (nint)i * ldc + start, Lanes));
                }
            }
            for (int i = 0; i < m; i++) new Span<float>(c0 + (nint)i * ldc + k, PadColumns(k) - k).Clear();
        }
    }

    [ThreadStatic] static float[]? blockSums;

    /// <summary>
    /// One block's walk through one panel: sums[q * 16 + i] (zero when <paramref name="fresh"/>) plus A^T[j, i] B[p + q, j]
    /// for the panel's <paramref name="count"/> columns j in order, B's 16 rows from <paramref name="w"/> on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void TransposedBlock(float* column, float* w, int count, bool fresh, float* sums)
    {
        const int width = Vectors * Lanes;   // the AVX-512 panel: 48 floats per row
        Vector512<float> c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15;
        if (fresh)
        {
            c0 = Vector512<float>.Zero;
            c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = c10 = c11 = c12 = c13 = c14 = c15 = c0;
        }
        else
        {
            c0 = Vector512.Load(sums); c1 = Vector512.Load(sums + 16); c2 = Vector512.Load(sums + 32); c3 = Vector512.Load(sums + 48);
            c4 = Vector512.Load(sums + 64); c5 = Vector512.Load(sums + 80); c6 = Vector512.Load(sums + 96); c7 = Vector512.Load(sums + 112);
            c8 = Vector512.Load(sums + 128); c9 = Vector512.Load(sums + 144); c10 = Vector512.Load(sums + 160); c11 = Vector512.Load(sums + 176);
            c12 = Vector512.Load(sums + 192); c13 = Vector512.Load(sums + 208); c14 = Vector512.Load(sums + 224); c15 = Vector512.Load(sums + 240);
        }
        // The panel is one stream: the next block's 16 rows (3 KB, 48 lines) follow this block's, one line a step.
        byte* ahead = (byte*)(w + 16 * width);
        for (int j = 0; j < count; j++)
        {
            Sse.Prefetch0(ahead + j * 64);
            float* x = w + j;
            var v = Vector512.Load(column + j * Lanes);
            // fma(A, B, c): the operands' order does not change a product's bits.
            c0 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[0]), c0);
            c1 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[width]), c1);
            c2 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[2 * width]), c2);
            c3 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[3 * width]), c3);
            c4 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[4 * width]), c4);
            c5 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[5 * width]), c5);
            c6 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[6 * width]), c6);
            c7 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[7 * width]), c7);
            c8 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[8 * width]), c8);
            c9 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[9 * width]), c9);
            c10 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[10 * width]), c10);
            c11 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[11 * width]), c11);
            c12 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[12 * width]), c12);
            c13 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[13 * width]), c13);
            c14 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[14 * width]), c14);
            c15 = Avx512F.FusedMultiplyAdd(v, Vector512.Create(x[15 * width]), c15);
        }
        c0.Store(sums); c1.Store(sums + 16); c2.Store(sums + 32); c3.Store(sums + 48);
        c4.Store(sums + 64); c5.Store(sums + 80); c6.Store(sums + 96); c7.Store(sums + 112);
        c8.Store(sums + 128); c9.Store(sums + 144); c10.Store(sums + 160); c11.Store(sums + 176);
        c12.Store(sums + 192); c13.Store(sums + 208); c14.Store(sums + 224); c15.Store(sums + 240);
    }

    /// <summary>
    /// to[q * toStride + i] = from[i * fromStride + q] for a 16 x 16 block, in registers: four rounds, each swapping one
    /// bit of the row index with the same bit of the column index (rows r and r + h exchange their h-blocks) by
    /// two-source permutes. Moves only: no value changes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Transpose16(float* from, nint fromStride, float* to, nint toStride)
    {
        var r0 = Vector512.Load(from); var r1 = Vector512.Load(from + fromStride);
        var r2 = Vector512.Load(from + 2 * fromStride); var r3 = Vector512.Load(from + 3 * fromStride);
        var r4 = Vector512.Load(from + 4 * fromStride); var r5 = Vector512.Load(from + 5 * fromStride);
        var r6 = Vector512.Load(from + 6 * fromStride); var r7 = Vector512.Load(from + 7 * fromStride);
        var r8 = Vector512.Load(from + 8 * fromStride); var r9 = Vector512.Load(from + 9 * fromStride);
        var r10 = Vector512.Load(from + 10 * fromStride); var r11 = Vector512.Load(from + 11 * fromStride);
        var r12 = Vector512.Load(from + 12 * fromStride); var r13 = Vector512.Load(from + 13 * fromStride);
        var r14 = Vector512.Load(from + 14 * fromStride); var r15 = Vector512.Load(from + 15 * fromStride);
        Exchange(8, ref r0, ref r8); Exchange(8, ref r1, ref r9); Exchange(8, ref r2, ref r10); Exchange(8, ref r3, ref r11);
        Exchange(8, ref r4, ref r12); Exchange(8, ref r5, ref r13); Exchange(8, ref r6, ref r14); Exchange(8, ref r7, ref r15);
        Exchange(4, ref r0, ref r4); Exchange(4, ref r1, ref r5); Exchange(4, ref r2, ref r6); Exchange(4, ref r3, ref r7);
        Exchange(4, ref r8, ref r12); Exchange(4, ref r9, ref r13); Exchange(4, ref r10, ref r14); Exchange(4, ref r11, ref r15);
        Exchange(2, ref r0, ref r2); Exchange(2, ref r1, ref r3); Exchange(2, ref r4, ref r6); Exchange(2, ref r5, ref r7);
        Exchange(2, ref r8, ref r10); Exchange(2, ref r9, ref r11); Exchange(2, ref r12, ref r14); Exchange(2, ref r13, ref r15);
        Exchange(1, ref r0, ref r1); Exchange(1, ref r2, ref r3); Exchange(1, ref r4, ref r5); Exchange(1, ref r6, ref r7);
        Exchange(1, ref r8, ref r9); Exchange(1, ref r10, ref r11); Exchange(1, ref r12, ref r13); Exchange(1, ref r14, ref r15);
        r0.Store(to); r1.Store(to + toStride); r2.Store(to + 2 * toStride); r3.Store(to + 3 * toStride);
        r4.Store(to + 4 * toStride); r5.Store(to + 5 * toStride); r6.Store(to + 6 * toStride); r7.Store(to + 7 * toStride);
        r8.Store(to + 8 * toStride); r9.Store(to + 9 * toStride); r10.Store(to + 10 * toStride); r11.Store(to + 11 * toStride);
        r12.Store(to + 12 * toStride); r13.Store(to + 13 * toStride); r14.Store(to + 14 * toStride); r15.Store(to + 15 * toStride);
    }

    /// <summary>Rows r and s = r + h: lane t of the new r is r[t] if bit h of t is clear, else s[t - h]; of the new s, r[t + h] or s[t].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Exchange(int h, ref Vector512<float> r, ref Vector512<float> s)
    {
        var low = Avx512F.PermuteVar16x32x2(r, Indices(h, false), s);
        var high = Avx512F.PermuteVar16x32x2(r, Indices(h, true), s);
        r = low;
        s = high;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<int> Indices(int h, bool high) => (h, high) switch
    {
        (8, false) => Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),
        (8, true) => Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31),
        (4, false) => Vector512.Create(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27),
        (4, true) => Vector512.Create(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31),
        (2, false) => Vector512.Create(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29),
        (2, true) => Vector512.Create(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31),
        (1, false) => Vector512.Create(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30),
        _ => Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31),
    };

    /// <summary>Floats ahead of the panel row in use that <see cref="PrefetchPanel"/> asks for (3 KB).</summary>
    const int PrefetchAhead = 768;

    /// <summary>
    /// Asks x86 to bring the panel <see cref="PrefetchAhead"/> floats on into L1, one request per cache line the loop
    /// will use. At B = 16 the weights stream from L3 on every pass; the hardware prefetchers alone left the
    /// micro-kernel waiting (the decoder's eight products on the AVX-512 Xeon, interleaved in one process: about 20 %
    /// more GFLOP/s at B = 16 with the hint, none lost at B = 256). A hint only: it never faults (it may point past the
    /// panel) and changes no result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void PrefetchPanel<T>(ref float row) where T : struct, ILanes<T>
    {
        if (!Sse.IsSupported) return;
        float* ahead = (float*)Unsafe.AsPointer(ref row) + PrefetchAhead;
        Sse.Prefetch0(ahead);
        if (Vectors * T.Count > 16) Sse.Prefetch0(ahead + 16);
        if (Vectors * T.Count > 32) Sse.Prefetch0(ahead + 32);
    }

    /// <summary>The first <paramref name="count"/> of a row's 3 registers (the rest lie past C's padded width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRow<T>(T v0, T v1, T v2, ref float c, int count) where T : struct, ILanes<T>
    {
        T.Store(v0, ref c);
        if (count > 1) T.Store(v1, ref Unsafe.Add(ref c, T.Count));
        if (count > 2) T.Store(v2, ref Unsafe.Add(ref c, 2 * T.Count));
    }
}
