using Gfe.Engine.Kernels;

namespace Gfe.Engine.Benchmarks;

/// <summary>
/// Which instruction set libtorch's own kernels (MKL's GEMM, ATen, oneDNN) run at in this process. The benchmarks'
/// matmul reference and torch path use them, so a native path forced narrower than the CPU's widest (GFE_SIMD=avx2 on
/// an AVX-512 machine) is only compared fairly when libtorch is held to the same set. That can only be done in the
/// environment at process start (the libraries read it once); the <c>gfe</c> script does it for GFE_SIMD.
/// </summary>
public static class TorchInstructions
{
    static readonly string[] Variables = ["MKL_ENABLE_INSTRUCTIONS", "ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA"];

    /// <summary>
    /// One line for a benchmark's header: the limit libtorch runs under, and a warning when the native kernel runs a
    /// narrower path than libtorch may (its fraction of the matmul rate and its ratio to torch then understate it).
    /// </summary>
    public static string Describe(SimdPath nativePath)
    {
        var set = Variables.Select(v => (Name: v, Value: Environment.GetEnvironmentVariable(v)))
            .Where(v => !string.IsNullOrWhiteSpace(v.Value)).Select(v => $"{v.Name}={v.Value}").ToArray();
        if (set.Length > 0) return $"libtorch held to {string.Join(", ", set)}";
        var line = $"libtorch at this CPU's full instruction set ({SimdPaths.Name(SimdPaths.Fastest)})";
        if (nativePath < SimdPaths.Fastest && nativePath != SimdPath.Scalar)
            line += $"; the native {SimdPaths.Name(nativePath)} path is compared with a wider libtorch: run as " +
                    $"GFE_SIMD={SimdPaths.Name(nativePath)} ./gfe bench ... to hold libtorch to it too, as a CPU without the wider set would";
        return line;
    }
}
