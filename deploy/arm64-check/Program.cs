using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using Gfe.Engine.Kernels;

// The native kernel's SIMD paths on this CPU, bit for bit: PanelGemm's products against the written-out FMA chain, and
// the element-wise maths (activations, derivatives, both losses, the fixed-order sum) against the scalar path. Built
// for x64 and for linux-arm64 (run under qemu) by deploy/arm64-check.sh, which also compares the two digests printed
// last: the same inputs give the same bits on both architectures. Only the kernel's sources are compiled in (the
// engine needs libtorch, which has no linux-arm64 build in TorchSharp).
Console.WriteLine($"arch {RuntimeInformation.ProcessArchitecture}, AdvSimd.Arm64 {AdvSimd.Arm64.IsSupported}, paths {string.Join(",", SimdPaths.Runnable.Select(SimdPaths.Name))}");
var rng = new Random(5);
// FNV-1a over the results' bytes: enough to compare two runs, and needs no OpenSSL under emulation.
ulong digest = 14695981039346656037;
void Digest(ReadOnlySpan<float> values)
{
    foreach (byte b in MemoryMarshal.AsBytes(values)) digest = (digest ^ b) * 1099511628211;
}
int failures = 0, checks = 0;
foreach (var (m, k, n) in new[] { (16, 20, 150), (16, 150, 300), (5, 600, 784), (8, 7, 33), (13, 64, 49), (256, 300, 600), (1, 1, 1), (17, 31, 97) })
{
    var a = new float[m * k];
    var b = new float[k * n];
    var bias = new float[n];
    for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
    for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() * 2 - 1);
    for (int i = 0; i < n; i++) bias[i] = (float)(rng.NextDouble() - 0.5);
    int ldc = (n + 15) / 16 * 16;
    var chain = new float[m * ldc];
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            float c = bias[j];
            for (int p = 0; p < k; p++) c = MathF.FusedMultiplyAdd(a[i * k + p], b[p * n + j], c);
            chain[i * ldc + j] = c;
        }
    foreach (var path in SimdPaths.Runnable)
    {
        var packed = PanelGemm.Pack(b, n, 1, k, n, bias, path);
        var c = new float[m * ldc];
        PanelGemm.Multiply(a, k, m, packed, c, ldc);
        int bad = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                if (BitConverter.SingleToInt32Bits(c[i * ldc + j]) != BitConverter.SingleToInt32Bits(chain[i * ldc + j])) bad++;
        checks++;
        if (bad > 0) failures++;
        if (path == SimdPath.Scalar) Digest(c);
        Console.WriteLine($"  {SimdPaths.Name(path),-9} row block {PanelGemm.RowBlock(path)}, m={m,3} k={k,3} n={n,3}: {(bad == 0 ? "same bits as the FMA chain" : $"{bad} elements differ")}");
    }
}
// The element-wise maths (activations, their derivatives, both losses, the fixed-order sum) on each path against scalar.
// The scalar results go into the digest once, whichever paths this CPU has.
var digested = SimdPaths.Runnable.FirstOrDefault(p => p != SimdPath.Scalar);
foreach (var path in SimdPaths.Runnable.Where(p => p != SimdPath.Scalar))
{
    const int count = 16 * 37;
    var values = new float[count];
    for (int i = 0; i < count; i++) values[i] = (float)(rng.NextDouble() * 12 - 6);
    var target = new float[count];
    for (int i = 0; i < count; i++) target[i] = (float)rng.NextDouble();
    foreach (var activation in Enum.GetValues<Gfe.Engine.Models.Activation>())
    {
        var scalar = (float[])values.Clone(); var vector = (float[])values.Clone();
        Element.Activate(SimdPath.Scalar, activation, scalar); Element.Activate(path, activation, vector);
        var ds = (float[])target.Clone(); var dv = (float[])target.Clone();
        Element.Derive(SimdPath.Scalar, activation, ds, scalar, values); Element.Derive(path, activation, dv, vector, values);
        if (path == digested) { Digest(scalar); Digest(ds); }
        checks++;
        bool same = scalar.AsSpan().SequenceEqual(vector) && ds.AsSpan().SequenceEqual(dv);
        if (!same) failures++;
        Console.WriteLine($"  {SimdPaths.Name(path),-9} {activation,-5} forward and derivative: {(same ? "same bits as scalar" : "DIFFERENT")}");
    }
    foreach (var loss in Enum.GetValues<Gfe.Engine.Models.LossKind>())
    {
        var (ts, dls) = (new float[count], new float[count]);
        var (tv, dlv) = (new float[count], new float[count]);
        Element.Loss(SimdPath.Scalar, loss, values, target, ts, dls); Element.Loss(path, loss, values, target, tv, dlv);
        float sumS = Element.Sum(SimdPath.Scalar, ts), sumV = Element.Sum(path, tv);
        if (path == digested) { Digest(ts); Digest(dls); Digest([sumS]); }
        checks++;
        bool same = ts.AsSpan().SequenceEqual(tv) && dls.AsSpan().SequenceEqual(dlv) && BitConverter.SingleToInt32Bits(sumS) == BitConverter.SingleToInt32Bits(sumV);
        if (!same) failures++;
        Console.WriteLine($"  {SimdPaths.Name(path),-9} {loss,-5} terms, gradient and sum: {(same ? "same bits as scalar" : "DIFFERENT")}");
    }
}
Console.WriteLine(failures == 0 ? $"all {checks} checks bit-identical" : $"{failures} of {checks} checks differ");
Console.WriteLine($"digest {digest:x16}");
return failures == 0 ? 0 : 1;

static class Element
{
    public static void Activate(SimdPath p, Gfe.Engine.Models.Activation a, Span<float> v)
    { switch (p) { case SimdPath.Avx512: VectorMath.Activate<Lanes512>(a, v); break; case SimdPath.Avx2: VectorMath.Activate<Lanes256>(a, v); break; case SimdPath.Vector128: VectorMath.Activate<Lanes128>(a, v); break; default: VectorMath.Activate<Lane1>(a, v); break; } }
    public static void Derive(SimdPath p, Gfe.Engine.Models.Activation a, Span<float> d, float[] o, float[] pre)
    { switch (p) { case SimdPath.Avx512: VectorMath.Derive<Lanes512>(a, d, o, pre); break; case SimdPath.Avx2: VectorMath.Derive<Lanes256>(a, d, o, pre); break; case SimdPath.Vector128: VectorMath.Derive<Lanes128>(a, d, o, pre); break; default: VectorMath.Derive<Lane1>(a, d, o, pre); break; } }
    public static void Loss(SimdPath p, Gfe.Engine.Models.LossKind l, float[] y, float[] x, float[] t, float[] d)
    { float s = 1f / y.Length; switch (p) { case SimdPath.Avx512: VectorMath.LossTerms<Lanes512>(l, y, x, t, d, 0, y.Length, s); break; case SimdPath.Avx2: VectorMath.LossTerms<Lanes256>(l, y, x, t, d, 0, y.Length, s); break; case SimdPath.Vector128: VectorMath.LossTerms<Lanes128>(l, y, x, t, d, 0, y.Length, s); break; default: VectorMath.LossTerms<Lane1>(l, y, x, t, d, 0, y.Length, s); break; } }
    public static float Sum(SimdPath p, float[] v) => p switch { SimdPath.Avx512 => VectorMath.Sum<Lanes512>(v), SimdPath.Avx2 => VectorMath.Sum<Lanes256>(v), SimdPath.Vector128 => VectorMath.Sum<Lanes128>(v), _ => VectorMath.Sum<Lane1>(v) };
}
