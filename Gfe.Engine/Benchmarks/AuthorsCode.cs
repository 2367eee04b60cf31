using System.Globalization;
using Gfe.Engine.Data;
using Gfe.Engine.Kernels;

namespace Gfe.Engine.Benchmarks;

/// <summary>
/// One timing of the authors' reference code (github.com/k-flouris/gfe) at the parity setting, as the driver
/// <c>deploy/authors-parity/authors_parity.py</c> prints it: training images per second (wall and per CPU-second),
/// AMD trials per batch, the test encoding's milliseconds per image, the test loss, and its torch's large-matmul rate.
/// </summary>
public sealed record AuthorsRate(double ImagesPerSecond, double ImagesPerCpuSecond, double TrialsPerBatch, double TestMsPerImage,
    double TestLoss, double MatmulGflops, string TorchVersion)
{
    /// <summary>Reads the driver's result line (<c>authors key=value ...</c>) out of its whole output.</summary>
    public static AuthorsRate Parse(string output)
    {
        var line = output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("authors ", StringComparison.Ordinal))
                   ?? throw new FormatException("the authors' driver printed no result line ('authors key=value ...')");
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(pair => pair.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
        double Number(string key) =>
            values.TryGetValue(key, out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
                ? x : throw new FormatException($"the authors' driver's result line has no number '{key}': {line}");
        return new AuthorsRate(Number("img_per_s"), Number("img_per_cpu_s"), Number("trials_per_batch"), Number("test_ms_per_image"),
            Number("test_loss"), Number("matmul_gflops"), values.GetValueOrDefault("torch", "?"));
    }
}

/// <summary>
/// Runs the authors' code beside ours for <c>gfe bench authors</c>. Their code is not part of this project: the user
/// points at a checkout, and a Python with torch runs it (Debian's python3-torch; deploy/authors-parity/setup.sh
/// installs it). The driver script is ours and ships inside <c>gfe</c>.
/// </summary>
public static class AuthorsCode
{
    /// <summary>Debian's Python, where apt's python3-torch lives (a pyenv or venv python on PATH usually lacks it).</summary>
    public const string DefaultPython = "/usr/bin/python3";

    /// <summary>Why <paramref name="directory"/> is not a checkout of the authors' code, or null when it looks like one.</summary>
    public static string? Problem(string directory)
    {
        if (!Directory.Exists(directory)) return $"{directory}: no such directory (clone github.com/k-flouris/gfe there)";
        string[] needed = ["gflow.py", "networks.py", Path.Combine("torchdiffeq-master-amd", "torchdiffeq", "_impl", "amd.py")];
        var missing = needed.Where(f => !File.Exists(Path.Combine(directory, f))).ToList();
        return missing.Count == 0 ? null
            : $"{directory}: not a checkout of github.com/k-flouris/gfe (no {string.Join(", ", missing)})";
    }

    /// <summary>
    /// The environment the authors' torch runs in: one thread (as our runs), and OpenBLAS told the core to use. Debian's
    /// torch does its products in the system BLAS; Debian 12's OpenBLAS 0.3.21 does not know recent CPUs (an Emerald
    /// Rapids Xeon falls back to its SSE3 "Prescott" kernels, 25 instead of 102 GFLOP/s here), so the core is named
    /// after the SIMD path under test: the AVX-512 kernels for avx512, the AVX2 ones for avx2. A value the user set wins.
    /// </summary>
    public static Dictionary<string, string> EnvironmentFor(SimdPath path)
    {
        var environment = new Dictionary<string, string>
        {
            ["OMP_NUM_THREADS"] = "1", ["OPENBLAS_NUM_THREADS"] = "1", ["MKL_NUM_THREADS"] = "1",
        };
        string? core = path switch
        {
            SimdPath.Avx512 => "SkylakeX",
            SimdPath.Avx2 => "Haswell",
            _ => null,
        };
        if (core is not null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE")))
            environment["OPENBLAS_CORETYPE"] = core;
        return environment;
    }

    /// <summary>Why <paramref name="python"/> cannot run the authors' code (no such program, or no torch), or null.</summary>
    public static string? PythonProblem(string python, CancellationToken cancel)
    {
        try
        {
            ExternalTool.Run(python, ["-c", "import torch, numpy, matplotlib"], Path.GetTempPath(), TimeSpan.FromMinutes(2), cancel);
            return null;
        }
        catch (DataException e)
        {
            return $"{python} cannot import torch, numpy and matplotlib, which the authors' code needs ({e.Message.TrimEnd('.')}); " +
                   "install them with deploy/authors-parity/setup.sh (Debian's python3-torch and OpenBLAS)";
        }
    }

    /// <summary>One timed parity run of the authors' code: <paramref name="trainSize"/> training images, then
    /// <paramref name="testImages"/> test images encoded at B = 16.</summary>
    public static AuthorsRate Measure(string python, string driver, string authorsDirectory, string datasetDirectory,
        int trainSize, int testImages, SimdPath path, CancellationToken cancel)
    {
        var output = ExternalTool.Run(python,
            [driver, "--authors", authorsDirectory, "--data", datasetDirectory, "--train-size", $"{trainSize}", "--test-images", $"{testImages}"],
            Path.GetTempPath(), TimeSpan.FromHours(6), cancel, EnvironmentFor(path));
        return AuthorsRate.Parse(output);
    }
}
