using System.Diagnostics;
using System.Globalization;
using Gfe.Engine.Data;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Flows;
using Gfe.Engine.Solvers;
using Gfe.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Benchmarks;

/// <summary>
/// Measures the latent solvers on this machine (docs/method.md §7): time per latent step, training and test-encoding
/// throughput, achieved GFLOP/s beside the machine's large-matmul rate, and peak memory. The images are synthetic
/// (sparse bright strokes on a dark field, like MNIST's ink fraction) and the decoder untrained, so no dataset is
/// needed; step counts on real data differ, the cost per step does not.
/// </summary>
public static class SolverBenchmark
{
    /// <summary>Decoder multiply-adds per image, 20x150 + 150x300 + 300x600 + 600x784, times two.</summary>
    public const double FlopsPerRow = 2.0 * (20 * 150 + 150 * 300 + 300 * 600 + 600 * 784);

    /// <summary>Every solver the bench knows, for an AMD horizon tau. New solvers go here.</summary>
    public static IReadOnlyList<LatentSolverEntry> Solvers(double tau) =>
    [
        Amd("amd-batch", "AMD batch-coupled (reference PARITY), lean passes reusing the probe's graph",
            new AmdOptions { Tau = tau, Mode = AmdMode.Batch, Passes = AmdPasses.ReuseProbe }),
        Amd("amd-batch-recompute", "AMD batch-coupled, forward-only probe, forward+backward again when needed",
            new AmdOptions { Tau = tau, Mode = AmdMode.Batch, Passes = AmdPasses.Recompute }),
        Amd("amd-batch-every", "AMD batch-coupled, forward+backward on every trial (the passes before the lean ones)",
            new AmdOptions { Tau = tau, Mode = AmdMode.Batch, Passes = AmdPasses.EveryTrial }),
        Amd("amd-batch-native", "AMD batch-coupled on the host SIMD decoder kernel (amd.kernel = native)",
            new AmdOptions { Tau = tau, Mode = AmdMode.Batch, Kernel = AmdKernel.Native }),
        Amd("amd-per-sample", "AMD per-sample (method.md §6.1), lean passes reusing the probe's graph",
            new AmdOptions { Tau = tau, Mode = AmdMode.PerSample, Passes = AmdPasses.ReuseProbe }),
        Amd("amd-per-sample-native", "AMD per-sample on the host SIMD decoder kernel (amd.kernel = native)",
            new AmdOptions { Tau = tau, Mode = AmdMode.PerSample, Kernel = AmdKernel.Native }),
        Amd("amd-per-sample-recompute", "AMD per-sample, forward-only probe, forward+backward again when needed",
            new AmdOptions { Tau = tau, Mode = AmdMode.PerSample, Passes = AmdPasses.Recompute }),
        Flow("rk4", "GFE fixed-grid RK4 flow (3/8 rule), linear grid of 100 points, tau = 1e4",
            (decoder, images, z0) => new GradientFlow(TimeGrid.From(new FlowOptions())).Solve(decoder, images, z0)),
        Flow("nesterov", "second-order Nesterov flow on the same RK4 grid",
            (decoder, images, z0) => new NesterovFlow(TimeGrid.From(new FlowOptions()), new FlowOptions().NesterovEps).Solve(decoder, images, z0)),
        NativeFlow("rk4-native", "the RK4 flow on the host SIMD decoder kernel (flow.kernel = native)", nesterov: false),
        NativeFlow("nesterov-native", "the Nesterov flow on the host SIMD decoder kernel (flow.kernel = native)", nesterov: true),
    ];

    static LatentSolverEntry NativeFlow(string name, string description, bool nesterov)
    {
        // Made at first use, so that a SIMD path forced after the list is built (gfe bench --simd) applies.
        var options = new FlowOptions();
        var flows = new Lazy<KernelFlows>(() => new KernelFlows(TimeGrid.From(options), nesterov, options.NesterovEps));
        return Flow(name, description, (decoder, images, z0) => flows.Value.Solve(decoder, images, z0, keepPath: false));
    }

    /// <summary>A fixed-grid flow: every one of its 4(N - 1) stages is one forward and one input-gradient backward.</summary>
    static LatentSolverEntry Flow(string name, string description, Func<Decoder, Tensor, Tensor, LatentTrajectory> solve)
    {
        long stages = 4L * (new FlowOptions().Points - 1);
        return new(name, description, (decoder, images, z0) =>
        {
            var trajectory = solve(decoder, images, z0);
            long rows = stages * images.shape[0];
            return new LatentEncoding(trajectory.Final, stages, rows, rows);
        });
    }

    static LatentSolverEntry Amd(string name, string description, AmdOptions options)
    {
        // Made at first use, so that a SIMD path forced after the list is built (gfe bench --simd) applies.
        var solver = new Lazy<AmdSolver>(() => new AmdSolver(options));
        return new(name, description, (decoder, images, z0) =>
        {
            long steps = 0;
            var solution = solver.Value.Solve(decoder, images, z0, trial => steps = Math.Max(steps, trial.Round + 1L));
            return new LatentEncoding(solution.Latent, steps, solution.ForwardRows, solution.BackwardRows);
        });
    }

    /// <summary>Runs every (solver, B) measurement; <paramref name="report"/> sees each row as soon as it is done.</summary>
    public static IReadOnlyList<SolverBenchmarkRow> Run(SolverBenchmarkSettings settings, Action<SolverBenchmarkRow>? report = null,
        CancellationToken cancel = default)
    {
        var all = Solvers(settings.Tau);
        var unknown = settings.Solvers.Where(n => all.All(s => s.Name != n)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown solver(s) {string.Join(", ", unknown)}; known: {string.Join(", ", all.Select(s => s.Name))}");
        if (settings.BatchSizes.Count == 0 || settings.BatchSizes.Any(b => b < 1))
            throw new ArgumentException("batch sizes must be whole numbers of at least 1");
        if (settings.Repeats < 1 || settings.TrainBatches < 1 || settings.TestImages < 1 || settings.Threads < 1)
            throw new ArgumentException("repeats, train batches, test images and threads must be at least 1");
        var chosen = settings.Solvers.Count == 0 ? all : all.Where(s => settings.Solvers.Contains(s.Name)).ToList();

        torch.set_num_threads(settings.Threads);
        WarmUp(chosen, settings);
        var rows = new List<SolverBenchmarkRow>();
        foreach (var solver in chosen)
        foreach (int batchSize in settings.BatchSizes)
        {
            var repeats = new List<SolverBenchmarkRow>();
            for (int r = 0; r < settings.Repeats; r++)
            {
                cancel.ThrowIfCancellationRequested();
                // The machine is shared: its rate is measured right before each measurement, not once for all.
                double machine = MatmulGflops(settings.MatmulSeconds, cancel);
                repeats.Add(Measure(solver, batchSize, settings, settings.Seed + r, machine, cancel));
            }
            var row = Median(repeats);
            rows.Add(row);
            report?.Invoke(row);
        }
        return rows;
    }

    static SolverBenchmarkRow Measure(LatentSolverEntry solver, int batchSize, SolverBenchmarkSettings settings, int seed,
        double machine, CancellationToken cancel)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator((ulong)seed, CPU);
        using var decoder = new Decoder(generator);
        using var optimizer = new RmsProp(decoder.parameters(), 5e-4, 0.9, 1e-6);

        // Training: the GFE-amd step (docs/method.md §3e) on fresh batches.
        var clock = Stopwatch.StartNew();
        for (int b = 0; b < settings.TrainBatches; b++)
        {
            cancel.ThrowIfCancellationRequested();
            using var batchScope = torch.NewDisposeScope();
            var images = Images(batchSize, generator);
            var encoding = solver.Encode(decoder, images, torch.rand(batchSize, Decoder.LatentSize, generator: generator));
            optimizer.ZeroGrad();
            ReconstructionLoss.BatchSum(decoder.Shape.Loss, decoder.forward(encoding.Latent), images).backward();
            optimizer.Step();
        }
        double trainSeconds = clock.Elapsed.TotalSeconds;

        // Test encoding: solve and reconstruct, counting the solver's steps and decoder rows.
        int batches = (settings.TestImages + batchSize - 1) / batchSize;
        long steps = 0, decoderRows = 0;
        double solveSeconds = 0;
        clock.Restart();
        for (int b = 0; b < batches; b++)
        {
            cancel.ThrowIfCancellationRequested();
            using var batchScope = torch.NewDisposeScope();
            var images = Images(batchSize, generator);
            var z0 = torch.rand(batchSize, Decoder.LatentSize, generator: generator);
            var solveClock = Stopwatch.StartNew();
            var encoding = solver.Encode(decoder, images, z0);
            solveSeconds += solveClock.Elapsed.TotalSeconds;
            steps += encoding.Steps;
            decoderRows += encoding.ForwardRows + encoding.BackwardRows;
            using (torch.no_grad())
                ReconstructionLoss.PerImage(decoder.Shape.Loss, decoder.forward(encoding.Latent), images).sum().item<float>();
        }
        double testSeconds = clock.Elapsed.TotalSeconds;

        return new SolverBenchmarkRow(
            solver.Name,
            batchSize,
            MsPerStep: 1000 * solveSeconds / Math.Max(1, steps),
            StepsPerBatch: (double)steps / batches,
            RowsPerStep: (double)decoderRows / Math.Max(1, steps) / batchSize,
            TrainImagesPerSecond: settings.TrainBatches * batchSize / trainSeconds,
            TestImagesPerSecond: batches * batchSize / testSeconds,
            Gflops: decoderRows * FlopsPerRow / solveSeconds / 1e9,
            MachineGflops: machine,
            PeakMegabytes: PeakResidentMegabytes());
    }

    /// <summary>
    /// One tiny solve and training step per solver before any clock runs, so the first row does not pay for JIT
    /// compilation and torch's first-call allocations.
    /// </summary>
    static void WarmUp(IEnumerable<LatentSolverEntry> solvers, SolverBenchmarkSettings settings)
    {
        foreach (var solver in solvers)
            Measure(solver, 2, settings with { TrainBatches = 1, TestImages = 2 }, settings.Seed, 0, CancellationToken.None);
    }

    /// <summary>Sparse strokes: about a fifth of the pixels bright, the rest near black, so the BCE resembles MNIST's.</summary>
    static Tensor Images(int count, Generator generator)
    {
        using var noGrad = torch.no_grad();
        var bright = torch.rand(count, ImageSet.ImageSize, generator: generator).Below(0.2).to(ScalarType.Float32);
        return bright.Times(0.9).Plus(torch.rand(count, ImageSet.ImageSize, generator: generator).Times(0.1));
    }

    /// <summary>
    /// The machine's single-precision GEMM rate at the decoder's widest layer for a large batch:
    /// [1000, 600] @ [600, 784], repeated for <paramref name="seconds"/>, at the current thread count.
    /// </summary>
    public static double MatmulGflops(double seconds, CancellationToken cancel = default)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(7, CPU);
        var a = torch.rand(1000, 600, generator: generator);
        var b = torch.rand(600, 784, generator: generator);
        torch.matmul(a, b).Dispose();   // warm-up: first-call allocation and dispatch
        int repeats = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds || repeats < 3)
        {
            cancel.ThrowIfCancellationRequested();
            torch.matmul(a, b).Dispose();
            repeats++;
        }
        return repeats * 2.0 * 1000 * 600 * 784 / clock.Elapsed.TotalSeconds / 1e9;
    }

    /// <summary>VmHWM of /proc/self/status in MB (Linux), or NaN where it is not available.</summary>
    public static double PeakResidentMegabytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return double.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return double.NaN;
    }

    static SolverBenchmarkRow Median(List<SolverBenchmarkRow> rows)
    {
        double M(Func<SolverBenchmarkRow, double> field)
        {
            var values = rows.Select(field).Order().ToList();
            int n = values.Count;
            return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
        }
        return new SolverBenchmarkRow(rows[0].Solver, rows[0].BatchSize, M(r => r.MsPerStep), M(r => r.StepsPerBatch),
            M(r => r.RowsPerStep), M(r => r.TrainImagesPerSecond), M(r => r.TestImagesPerSecond), M(r => r.Gflops),
            M(r => r.MachineGflops), rows.Max(r => r.PeakMegabytes));
    }

    public static readonly string[] CsvColumns =
    [
        "solver", "batch_size", "ms_per_step", "steps_per_batch", "rows_per_step", "train_images_per_s",
        "test_images_per_s", "gflops", "machine_gflops", "matmul_fraction", "peak_mb",
    ];

    /// <summary>The rows as CSV (invariant culture, header first).</summary>
    public static string ToCsv(IEnumerable<SolverBenchmarkRow> rows)
    {
        static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
        var lines = new List<string> { string.Join(",", CsvColumns) };
        lines.AddRange(rows.Select(r => string.Join(",", r.Solver, r.BatchSize.ToString(CultureInfo.InvariantCulture),
            F(r.MsPerStep), F(r.StepsPerBatch), F(r.RowsPerStep), F(r.TrainImagesPerSecond), F(r.TestImagesPerSecond),
            F(r.Gflops), F(r.MachineGflops), F(r.MatmulFraction), F(r.PeakMegabytes))));
        return string.Join("\n", lines) + "\n";
    }
}
