using Gfe.Client.Commands;
using Gfe.Engine.Benchmarks;
using Gfe.Engine.Kernels;
using Xunit;
using static Gfe.Tests.Client.GfeCli;

namespace Gfe.Tests.Client;

/// <summary>
/// <c>gfe bench authors</c>'s plumbing: the authors' code and Debian's torch are not on a CI machine, so a stand-in
/// Python (a shell script) records what it was given and answers as the driver does; the real driver was run by hand
/// (docs/performance.md).
/// </summary>
public sealed class AuthorsBenchTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("gfe-authors-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>A line the real driver printed on this machine (Fashion-MNIST 480, AVX-512 OpenBLAS).</summary>
    const string DriverLine = "authors images=480 train_s=88.838 img_per_s=5.403 img_per_cpu_s=6.223 trials_per_batch=707.7 " +
                              "test_ms_per_image=116.84 test_trials_per_batch=510.0 test_loss=0.3311 matmul_gflops=101.7 torch=1.13.0a0";

    string FakeCheckout()
    {
        var root = Path.Combine(directory, "gfe");
        Directory.CreateDirectory(Path.Combine(root, "torchdiffeq-master-amd", "torchdiffeq", "_impl"));
        foreach (var file in new[] { "gflow.py", "networks.py", Path.Combine("torchdiffeq-master-amd", "torchdiffeq", "_impl", "amd.py") })
            File.WriteAllText(Path.Combine(root, file), "");
        return root;
    }

    /// <summary>A stand-in for python: it writes its arguments and the relevant environment to a file, then prints
    /// <paramref name="answer"/> and exits with <paramref name="exit"/>.</summary>
    string FakePython(string answer, int exit = 0)
    {
        var script = Path.Combine(directory, "python");
        File.WriteAllText(script, $"""
            #!/bin/sh
            printf '%s\n' "$@" > "{directory}/args"
            echo "OMP=$OMP_NUM_THREADS CORE=$OPENBLAS_CORETYPE" > "{directory}/env"
            echo "{answer}"
            echo "some warning" >&2
            exit {exit}
            """.Replace("\r", ""));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    [Fact]
    public void The_drivers_line_parses_back_and_a_missing_figure_is_named()
    {
        var rate = AuthorsRate.Parse("batch 30/30\r\n" + DriverLine + "\n");
        Assert.Equal(new AuthorsRate(5.403, 6.223, 707.7, 116.84, 0.3311, 101.7, "1.13.0a0"), rate);

        var e = Assert.Throws<FormatException>(() => AuthorsRate.Parse(DriverLine.Replace("test_loss=0.3311 ", "")));
        Assert.Contains("'test_loss'", e.Message);
        Assert.Throws<FormatException>(() => AuthorsRate.Parse("Traceback (most recent call last):\n"));
    }

    /// <summary>One thread, and OpenBLAS held to the SIMD path under test (Debian 12's OpenBLAS would pick its SSE3
    /// kernels on a CPU it does not know); a core the user named wins.</summary>
    [Fact]
    public void The_authors_torch_runs_one_thread_with_the_blas_core_of_the_path_under_test()
    {
        var before = Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE");
        try
        {
            Environment.SetEnvironmentVariable("OPENBLAS_CORETYPE", null);
            Assert.Equal("SkylakeX", AuthorsCode.EnvironmentFor(SimdPath.Avx512)["OPENBLAS_CORETYPE"]);
            Assert.Equal("Haswell", AuthorsCode.EnvironmentFor(SimdPath.Avx2)["OPENBLAS_CORETYPE"]);
            Assert.False(AuthorsCode.EnvironmentFor(SimdPath.Scalar).ContainsKey("OPENBLAS_CORETYPE"));
            Assert.All(new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" },
                v => Assert.Equal("1", AuthorsCode.EnvironmentFor(SimdPath.Avx2)[v]));

            Environment.SetEnvironmentVariable("OPENBLAS_CORETYPE", "Zen");
            Assert.False(AuthorsCode.EnvironmentFor(SimdPath.Avx512).ContainsKey("OPENBLAS_CORETYPE"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("OPENBLAS_CORETYPE", before);
        }
    }

    [Fact]
    public void Measure_runs_the_driver_on_the_checkout_and_data_given_and_reads_its_answer()
    {
        var checkout = FakeCheckout();
        var python = FakePython(DriverLine);
        var rate = AuthorsCode.Measure(python, "driver.py", checkout, "/data/fashion-mnist", 96, 32, SimdPath.Avx2, CancellationToken.None);

        Assert.Equal(6.223, rate.ImagesPerCpuSecond);
        Assert.Equal(["driver.py", "--authors", checkout, "--data", "/data/fashion-mnist", "--train-size", "96", "--test-images", "32"],
            File.ReadAllLines(Path.Combine(directory, "args")));
        if (Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is null)
            Assert.Equal("OMP=1 CORE=Haswell", File.ReadAllText(Path.Combine(directory, "env")).Trim());

        // Their code failing is a one-line error with its last message, not a parse of half an output.
        var failing = FakePython("Traceback", exit: 1);
        var e = Assert.Throws<Gfe.Engine.Data.DataException>(() =>
            AuthorsCode.Measure(failing, "driver.py", checkout, "/data", 96, 32, SimdPath.Avx2, CancellationToken.None));
        Assert.Contains("exit 1", e.Message);
        Assert.Contains("some warning", e.Message);
    }

    [Fact]
    public void The_command_refuses_a_wrong_checkout_dataset_or_python_before_running_anything()
    {
        var (code, _, error) = Invoke("bench", "authors", "fashion-mnist", "--authors-code", directory);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("not a checkout of github.com/k-flouris/gfe", error);
        Assert.Contains("gflow.py", error);

        Assert.Equal(ExitCodes.InvalidInput, Invoke("bench", "authors", "cifar10", "--authors-code", FakeCheckout()).Code);

        (code, _, error) = Invoke("bench", "authors", "fashion-mnist", "--authors-code", FakeCheckout(), "--python", FakePython("", exit: 1));
        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.Contains("deploy/authors-parity/setup.sh", error);
    }

    /// <summary>The driver ships inside gfe, byte for byte the file in deploy/authors-parity/.</summary>
    [Fact]
    public void The_driver_is_embedded_as_it_is_in_the_repository()
    {
        using var stream = typeof(AuthorsBenchCommand).Assembly.GetManifestResourceStream(AuthorsBenchCommand.DriverResource);
        Assert.NotNull(stream);
        var embedded = new StreamReader(stream).ReadToEnd();
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "gfe.sln"))) root = Path.GetDirectoryName(root)!;
        Assert.Equal(File.ReadAllText(Path.Combine(root, "deploy", "authors-parity", "authors_parity.py")), embedded);
        Assert.Contains("def main():", embedded);
    }
}
