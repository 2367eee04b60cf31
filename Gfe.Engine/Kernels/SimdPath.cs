using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Gfe.Engine.Kernels;

/// <summary>
/// The instruction set the host kernels (<see cref="PanelGemm"/>, <see cref="DecoderKernel"/>) run on. Every path
/// computes the same bits: one summation order, and fused multiply-add in exactly the same places (the scalar path
/// calls <see cref="MathF.FusedMultiplyAdd"/> where the vector paths fuse), so a run does not depend on the CPU.
/// </summary>
public enum SimdPath
{
    /// <summary>Plain float loops: runs anywhere; the reference the other paths are tested against bit for bit.</summary>
    Scalar,

    /// <summary>128-bit vectors through .NET's portable Vector128 (AdvSimd on ARM, SSE/AVX on x64).</summary>
    Vector128,

    /// <summary>256-bit AVX2 with FMA (x64 without AVX-512: most laptops, AMD Zen 1-3).</summary>
    Avx2,

    /// <summary>512-bit AVX-512 (Intel server parts, AMD Zen 4/5).</summary>
    Avx512,
}

/// <summary>Which <see cref="SimdPath"/>s this CPU can run, the fastest one, and their names in results and bench output.</summary>
public static class SimdPaths
{
    /// <summary>
    /// Set GFE_SIMD to a path name (avx512, avx2, vector128 or neon, scalar) to force that path process-wide, for
    /// benchmarks of a slower CPU's path; a path this CPU cannot run is refused at start-up with a clear message.
    /// </summary>
    public const string EnvironmentVariable = "GFE_SIMD";

    /// <summary>Whether this CPU runs <paramref name="path"/> in hardware (with its fused multiply-add).</summary>
    public static bool CanRun(SimdPath path) => path switch
    {
        SimdPath.Scalar => true,
        // Vector128's FusedMultiplyAdd is one instruction on ARM64 and on x64 with FMA; elsewhere the runtime would
        // emulate it element by element (right bits, no speed): not worth choosing.
        SimdPath.Vector128 => Vector128.IsHardwareAccelerated && (AdvSimd.IsSupported || Fma.IsSupported),
        SimdPath.Avx2 => Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated,
        SimdPath.Avx512 => Avx512F.IsSupported && Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>The fastest path this CPU runs in hardware.</summary>
    public static SimdPath Fastest { get; } =
        new[] { SimdPath.Avx512, SimdPath.Avx2, SimdPath.Vector128 }.FirstOrDefault(CanRun, SimdPath.Scalar);

    /// <summary>The path kernels use unless told otherwise: <see cref="EnvironmentVariable"/> if set, else the fastest.</summary>
    public static SimdPath Default => forced ?? DefaultPath.Value;

    static SimdPath? forced;

    /// <summary>
    /// Forces <paramref name="path"/> process-wide for kernels made from now on (benchmarks: <c>gfe bench --simd</c>);
    /// null returns to <see cref="EnvironmentVariable"/> or the fastest. A path this CPU cannot run is refused.
    /// </summary>
    public static void Force(SimdPath? path)
    {
        if (path is { } p && !CanRun(p)) throw new ArgumentException($"this CPU cannot run the {Name(p)} path", nameof(path));
        forced = path;
    }

    static readonly Lazy<SimdPath> DefaultPath = new(FromEnvironment);

    /// <summary>Every path this CPU can run, scalar first.</summary>
    public static IReadOnlyList<SimdPath> Runnable { get; } = Enum.GetValues<SimdPath>().Where(CanRun).ToArray();

    /// <summary>The name results and bench output use: avx512, avx2, neon (Vector128 on ARM), vector128 (on x64), scalar.</summary>
    public static string Name(SimdPath path) => path switch
    {
        SimdPath.Avx512 => "avx512",
        SimdPath.Avx2 => "avx2",
        SimdPath.Vector128 => AdvSimd.IsSupported ? "neon" : "vector128",
        _ => "scalar",
    };

    /// <summary>The path named <paramref name="name"/> (neon and vector128 are the same path), or null if unknown.</summary>
    public static SimdPath? Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "avx512" => SimdPath.Avx512,
        "avx2" => SimdPath.Avx2,
        "vector128" or "neon" => SimdPath.Vector128,
        "scalar" => SimdPath.Scalar,
        _ => null,
    };

    /// <summary>Why <paramref name="name"/> cannot be forced here, or null if it can.</summary>
    public static string? Problem(string name) =>
        Parse(name) is not { } path
            ? $"unknown SIMD path '{name}': use avx512, avx2, vector128 (neon) or scalar"
            : CanRun(path) ? null : $"this CPU cannot run the {Name(path)} path; it runs {string.Join(", ", Runnable.Select(Name))}";

    static SimdPath FromEnvironment()
    {
        var forced = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(forced)) return Fastest;
        // A bad value must not silently fall back (a benchmark would measure the wrong path); commands check it with
        // Problem() first and exit 2, so this throw is only reached by a library caller.
        if (Problem(forced) is { } problem) throw new InvalidOperationException($"{EnvironmentVariable}: {problem}");
        return Parse(forced)!.Value;
    }
}
