using System.Globalization;
using Gfe.Client.Commands;
using Gfe.Engine.Benchmarks;
using Xunit;
using static Gfe.Tests.Client.GfeCli;

namespace Gfe.Tests.Client;

/// <summary><c>gfe bench</c> end to end at its smallest, its CSV read back; no timing is asserted.</summary>
public sealed class BenchCommandTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("gfe-bench-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void SmallestBench_PrintsATable_AndWritesACsvThatParsesBack()
    {
        var csv = Path.Combine(directory, "bench.csv");
        var (code, output, error) = Invoke("bench", "solvers", "--quick", "--tau", "5", "--batch-sizes", "1,3",
            "--solvers", "amd-batch,amd-per-sample", "--test-images", "3", "--csv", csv);

        Assert.True(code == ExitCodes.Success, error);
        Assert.Contains("amd-per-sample", output);
        Assert.Contains("matmul GFLOP/s", output);
        Assert.Contains($"SIMD path {Gfe.Engine.Kernels.SimdPaths.Name(Gfe.Engine.Kernels.SimdPaths.Default)}", output);

        var lines = File.ReadAllLines(csv);
        Assert.Equal(string.Join(",", SolverBenchmark.CsvColumns), lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal([("amd-batch", "1"), ("amd-batch", "3"), ("amd-per-sample", "1"), ("amd-per-sample", "3")],
            rows.Select(r => (r[0], r[1])));
        foreach (var row in rows)
        {
            var numbers = row.Skip(2).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList();
            Assert.All(numbers, v => Assert.True(v > 0 && double.IsFinite(v), $"{row[0]} B={row[1]}: {string.Join(",", row)}"));
            // tau 5 from dt 1 growing by 1.1: steps 1, 1.1, 1.21, 1.331, 1.4641 reach it; a rejection adds a trial.
            Assert.InRange(numbers[1], 5, 10);
        }
    }

    /// <summary>--simd forces the native kernel's path: the header names it, and every path gives the same steps
    /// (the same bits); an unknown path exits 2.</summary>
    [Fact]
    public void Simd_option_forces_the_path_and_refuses_unknown_ones()
    {
        try
        {
            var steps = new List<string>();
            foreach (var path in new[] { "scalar", Gfe.Engine.Kernels.SimdPaths.Name(Gfe.Engine.Kernels.SimdPaths.Fastest) })
            {
                var csv = Path.Combine(directory, $"bench-{path}.csv");
                var (code, output, error) = Invoke("bench", "solvers", "--quick", "--tau", "5", "--batch-sizes", "3",
                    "--solvers", "amd-batch-native", "--test-images", "3", "--simd", path, "--csv", csv);
                Assert.True(code == ExitCodes.Success, error);
                Assert.Contains($"SIMD path {path}", output);
                steps.Add(File.ReadAllLines(csv)[1].Split(',')[3]);
            }
            Assert.Equal(steps[0], steps[1]);
            var (bad, _, message) = Invoke("bench", "solvers", "--quick", "--simd", "sse9");
            Assert.Equal(ExitCodes.InvalidInput, bad);
            Assert.Contains("unknown SIMD path", message);
        }
        finally
        {
            Gfe.Engine.Kernels.SimdPaths.Force(null);
        }
    }

    /// <summary>The flows on both kernels: 4 (N - 1) = 396 RK4 stages per batch each; a method the training bench does
    /// not know exits 2 before any data is read.</summary>
    [Fact]
    public void Flow_solvers_run_on_both_kernels_and_the_training_bench_refuses_unknown_methods()
    {
        var csv = Path.Combine(directory, "flows.csv");
        var (code, output, error) = Invoke("bench", "solvers", "--quick", "--batch-sizes", "2",
            "--solvers", "rk4,rk4-native,nesterov-native", "--test-images", "2", "--csv", csv);

        Assert.True(code == ExitCodes.Success, error);
        var rows = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(["rk4", "rk4-native", "nesterov-native"], rows.Select(r => r[0]));
        Assert.All(rows, r => Assert.Equal(396, double.Parse(r[3], CultureInfo.InvariantCulture)));

        var (bad, _, message) = Invoke("bench", "training", "fashion-mnist", "--method", "gfe-rk5");
        Assert.Equal(ExitCodes.InvalidInput, bad);
        Assert.Contains("gfe-rk5", message);
    }

    [Fact]
    public void The_training_bench_times_only_the_adjoint_passes_of_a_gfe_amd_adjoint_run()
    {
        // --rpass-only alternates adjoint.kernel with AMD held native; anything else is a mistake, refused before any data.
        var (code, _, error) = Invoke("bench", "training", "fashion-mnist", "--rpass-only");
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("--gradient adjoint", error);
        Assert.Equal(ExitCodes.InvalidInput, Invoke("bench", "training", "fashion-mnist", "--rpass-only", "--method", "gfe-rk4", "--gradient", "adjoint").Code);

        var rpass = TrainingBenchmark.ParityRun("mnist", 16, Gfe.Engine.Runs.AmdKernel.Torch, amdKernel: Gfe.Engine.Runs.AmdKernel.Native)
            with { Gradient = Gfe.Engine.Runs.GradientMode.Adjoint };
        Assert.Equal((Gfe.Engine.Runs.AmdKernel.Native, Gfe.Engine.Runs.AmdKernel.Torch), (rpass.Amd.Kernel, rpass.Flow.AdjointKernel));
        Assert.Equal(Gfe.Engine.Runs.AmdKernel.Torch, TrainingBenchmark.KernelUnderTest(rpass));
        Assert.Equal(Gfe.Engine.Runs.AmdKernel.Native, TrainingBenchmark.KernelUnderTest(rpass with { Gradient = Gfe.Engine.Runs.GradientMode.Approximate }));
    }

    [Fact]
    public void UnknownSolver_Exits2_NamingTheKnownOnes()
    {
        var (code, _, error) = Invoke("bench", "solvers", "--quick", "--solvers", "rk5");
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("rk5", error);
        Assert.Contains("amd-per-sample", error);
    }

    /// <summary>
    /// The header names the instruction set libtorch runs at: held by the environment (as the gfe script does for
    /// GFE_SIMD), or the CPU's full set, with a warning when the native path is narrower than that.
    /// </summary>
    [Fact]
    public void The_header_says_what_libtorch_is_held_to()
    {
        const string variable = "MKL_ENABLE_INSTRUCTIONS";
        var before = Environment.GetEnvironmentVariable(variable);
        try
        {
            Environment.SetEnvironmentVariable(variable, null);
            var fastest = Gfe.Engine.Kernels.SimdPaths.Fastest;
            var full = TorchInstructions.Describe(fastest);
            Assert.StartsWith($"libtorch at this CPU's full instruction set ({Gfe.Engine.Kernels.SimdPaths.Name(fastest)})", full);
            Assert.DoesNotContain("GFE_SIMD", full);
            if (fastest > Gfe.Engine.Kernels.SimdPath.Vector128)
                Assert.Contains("GFE_SIMD=vector128 ./gfe bench", TorchInstructions.Describe(Gfe.Engine.Kernels.SimdPath.Vector128));

            Environment.SetEnvironmentVariable(variable, "AVX2");
            Assert.Equal("libtorch held to MKL_ENABLE_INSTRUCTIONS=AVX2", TorchInstructions.Describe(Gfe.Engine.Kernels.SimdPath.Avx2));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, before);
        }
    }
}
