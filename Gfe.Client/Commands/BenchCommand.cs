using System.CommandLine;
using System.Globalization;
using Gfe.Engine.Benchmarks;
using Gfe.Engine.Data;
using Gfe.Engine.Kernels;
using Gfe.Engine.Runs;
using Spectre.Console;

namespace Gfe.Client.Commands;

/// <summary><c>gfe bench</c>: how fast the latent solvers run on this machine (engine-spec §7).</summary>
public static class BenchCommand
{
    public static Command Create(Terminal terminal)
    {
        var known = SolverBenchmark.Solvers(1);
        var defaults = new SolverBenchmarkSettings();
        var quick = new Option<bool>("--quick")
        {
            Description = $"A short run (under a minute): tau {SolverBenchmarkSettings.Quick.Tau}, one training batch, {SolverBenchmarkSettings.Quick.TestImages} test images (at least one batch), no repeats. Explicit options still apply.",
        };
        var csv = new Option<string?>("--csv") { Description = "Also write the table as CSV to this file.", HelpName = "FILE" };
        var batchSizes = new Option<string?>("--batch-sizes")
        {
            Description = $"Comma-separated batch sizes B. Default: {string.Join(",", defaults.BatchSizes)}.",
            HelpName = "B,B,...",
        };
        var solvers = new Option<string?>("--solvers")
        {
            Description = "Comma-separated solvers to measure (default: all): " +
                          string.Join("; ", known.Select(s => $"{s.Name}: {s.Description}")) + ".",
            HelpName = "NAME,...",
        };
        var tau = new Option<double?>("--tau")
        {
            Description = $"AMD horizon (default {defaults.Tau}; real runs use 1e4). Fewer steps per solve, same cost per step.",
            HelpName = "T",
        };
        var repeats = new Option<int?>("--repeats") { Description = $"Measurements per row; the table shows medians (default {defaults.Repeats}).", HelpName = "N" };
        var trainBatches = new Option<int?>("--train-batches") { Description = $"Training batches timed per measurement (default {defaults.TrainBatches}).", HelpName = "N" };
        var testImages = new Option<int?>("--test-images") { Description = $"Test images encoded per measurement, rounded up to whole batches (default {defaults.TestImages}).", HelpName = "N" };
        var threads = new Option<int?>("--threads") { Description = "Torch threads (default 1, as each run uses one core).", HelpName = "N" };
        var training = new Option<string?>("--training")
        {
            Description = "Instead of the solver table: time whole GFE-amd training runs with parity settings (B 16, tau 1e4, " +
                          "one thread) on this dataset (e.g. fashion-mnist, from the data directory), with amd.kernel torch and native alternately, " +
                          "--repeats times; prints training images/s, AMD trials per batch, ms per trial, and the native/torch ratio of each repeat.",
            HelpName = "DATASET",
        };
        var trainSize = new Option<int>("--train-size") { Description = "Training images of a --training run (default 480).", DefaultValueFactory = _ => 480, HelpName = "N" };
        var sideBySide = new Option<bool>("--side-by-side")
        {
            Description = "With --training: also one native run alone, then two at once on two threads of this process; prints the throughput ratio (2 = perfect on 2 cores).",
        };
        var quality = new Option<string?>("--per-sample-quality")
        {
            Description = "Instead of the solver table: train a parity GFE-amd decoder (native kernel) on --train-size images of this dataset, then " +
                          "encode the first --test-images test images with batch-coupled AMD (B 16) and with per-sample AMD in one batch at " +
                          "amd.perSampleToleranceScale 1, 1/4 and 1/16; prints test losses, steps per image and GFLOP/s, for seeds 0..--repeats-1.",
            HelpName = "DATASET",
        };
        var simd = new Option<string?>("--simd")
        {
            Description = "Force the native kernel's SIMD path: avx512, avx2, vector128 (neon on ARM) or scalar; one this CPU " +
                          $"cannot run is refused (exit 2). Default: the fastest here ({SimdPaths.Name(SimdPaths.Fastest)}), or ${SimdPaths.EnvironmentVariable}.",
            HelpName = "PATH",
        };
        var memorySteps = new Option<long?>("--memory-steps")
        {
            Description = "Instead of the solver table: GFE-amd training steps on synthetic B = 16 batches until this many AMD trials have run, per kernel; prints resident memory at the start, middle and end, and the peak.",
            HelpName = "N",
        };

        var command = new Command("bench", """
            Measure the latent solvers on this machine, on synthetic MNIST-like images and an untrained decoder, at
            each batch size: time per latent step (AMD: one trial; per-sample: one round over the unfinished images),
            steps per batch, decoder rows per step per image (forward + backward; it shows the lean passes and the
            per-sample compaction), training and test-encoding images per second, achieved GFLOP/s beside the rate of
            a large [1000,600]@[600,784] matmul measured just before each row and their ratio (the fraction of the
            matmul rate the solves reach), and the process's peak resident memory (VmHWM, it only grows). The first
            line names the SIMD path the native kernel runs (--simd forces one).
            FLOPs: 1.397 MFLOP per image per decoder forward, the same per backward to the input.
            The machine may be shared: compare rows of one run, and repeat for medians.
            Exit codes: 0 done, 2 invalid arguments, 130 interrupted.
            """);
        foreach (var option in new Option[] { quick, csv, batchSizes, solvers, tau, repeats, trainBatches, testImages, threads,
                     training, trainSize, sideBySide, memorySteps, quality, simd })
            command.Options.Add(option);
        command.Subcommands.Add(SchedulerBenchCommand.Create(terminal));
        command.Subcommands.Add(SearchBenchCommand.Create(terminal));

        command.SetAction((parse, cancel) =>
        {
            var settings = parse.GetValue(quick) ? SolverBenchmarkSettings.Quick : defaults;
            if (parse.GetValue(simd) is { } forcedPath)
            {
                if (SimdPaths.Problem(forcedPath) is { } problem)
                {
                    terminal.Error.WriteLine($"error: --simd: {problem}");
                    return Task.FromResult(ExitCodes.InvalidInput);
                }
                SimdPaths.Force(SimdPaths.Parse(forcedPath));
            }
            else if (Environment.GetEnvironmentVariable(SimdPaths.EnvironmentVariable) is { Length: > 0 } fromEnvironment &&
                     SimdPaths.Problem(fromEnvironment) is { } environmentProblem)
            {
                terminal.Error.WriteLine($"error: {SimdPaths.EnvironmentVariable}: {environmentProblem}");
                return Task.FromResult(ExitCodes.InvalidInput);
            }
            try
            {
                if (parse.GetValue(batchSizes) is { } b) settings = settings with { BatchSizes = ParseList(b, "--batch-sizes", int.Parse) };
                if (parse.GetValue(solvers) is { } s) settings = settings with { Solvers = ParseList(s, "--solvers", n => n) };
            }
            catch (FormatException e)
            {
                terminal.Error.WriteLine($"error: {e.Message}");
                return Task.FromResult(ExitCodes.InvalidInput);
            }
            if (parse.GetValue(tau) is { } t) settings = settings with { Tau = t };
            if (parse.GetValue(repeats) is { } r) settings = settings with { Repeats = r };
            if (parse.GetValue(trainBatches) is { } tb) settings = settings with { TrainBatches = tb };
            if (parse.GetValue(testImages) is { } ti) settings = settings with { TestImages = ti };
            if (parse.GetValue(threads) is { } th) settings = settings with { Threads = th };
            if (!(settings.Tau > 0) || !double.IsFinite(settings.Tau))
            {
                terminal.Error.WriteLine($"error: --tau must be a positive number, not {settings.Tau}");
                return Task.FromResult(ExitCodes.InvalidInput);
            }

            if (parse.GetValue(memorySteps) is { } steps)
                return Task.FromResult(MemoryFigures(terminal, steps, cancel));
            if (parse.GetValue(quality) is { } qualityData)
                return Task.FromResult(QualityFigures(terminal, qualityData, parse.GetValue(trainSize),
                    parse.GetValue(testImages) ?? 500, settings.Repeats, cancel));
            if (parse.GetValue(training) is { } dataset)
                return Task.FromResult(TrainingFigures(terminal, dataset, parse.GetValue(trainSize), settings.Repeats,
                    parse.GetValue(sideBySide), cancel));

            IReadOnlyList<SolverBenchmarkRow> rows;
            try
            {
                terminal.Output.WriteLine($"gfe bench: tau {settings.Tau}, B {string.Join(",", settings.BatchSizes)}, " +
                                          $"{settings.Repeats} repeat(s), {settings.Threads} thread(s), {Environment.ProcessorCount} cores, " +
                                          $"native kernel SIMD path {SimdPaths.Name(SimdPaths.Default)} (this CPU runs {string.Join(", ", SimdPaths.Runnable.Select(SimdPaths.Name))})");
                rows = SolverBenchmark.Run(settings, row => terminal.Output.WriteLine(
                    $"  {row.Solver} B={row.BatchSize}: {row.MsPerStep:F2} ms/step, {row.TestImagesPerSecond:F1} test img/s"), cancel);
            }
            catch (ArgumentException e)
            {
                terminal.Error.WriteLine($"error: {e.Message}");
                return Task.FromResult(ExitCodes.InvalidInput);
            }

            terminal.Out.Write(Table(rows));
            if (parse.GetValue(csv) is { } file)
            {
                File.WriteAllText(file, SolverBenchmark.ToCsv(rows));
                terminal.Output.WriteLine($"wrote {file}");
            }
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    /// <summary>Whole parity runs per kernel on real data, alternating so both see the same machine load.</summary>
    static int TrainingFigures(Terminal terminal, string dataset, int trainSize, int repeats, bool sideBySide, CancellationToken cancel)
    {
        DatasetSplits data;
        try
        {
            data = new DatasetStore(DataPaths.DefaultDirectory).Load(dataset);
        }
        catch (Exception e) when (e is DataException or IOException or ArgumentException)
        {
            terminal.Error.WriteLine($"error: --training {dataset}: {e.Message} (fetch it with 'gfe data fetch {dataset}')");
            return ExitCodes.Unavailable;
        }
        terminal.Output.WriteLine($"gfe bench --training {dataset}: GFE-amd parity, {trainSize} training images, B 16, tau 1e4, " +
                                  $"{repeats} repeat(s), 1 torch thread, {Environment.ProcessorCount} cores, SIMD {SimdPaths.Name(SimdPaths.Default)}");
        var trainingRates = new List<TrainingRate>();
        var ratios = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            var pair = new List<TrainingRate>();
            foreach (var kernel in new[] { AmdKernel.Torch, AmdKernel.Native })
            {
                var rate = TrainingBenchmark.Measure(TrainingBenchmark.ParityRun(dataset, trainSize, kernel), data, cancel);
                pair.Add(rate);
                terminal.Output.WriteLine($"  repeat {r + 1} {rate.Kernel}: {rate.ImagesPerSecond:F1} train img/s, " +
                                          $"{rate.TrialsPerBatch:F1} trials/batch, {rate.MsPerTrial:F3} ms/trial, test loss {rate.TestLoss:F4}, " +
                                          $"{rate.ImagesPerCpuSecond:F1} img per CPU-second");
            }
            trainingRates.AddRange(pair);
            ratios.Add(pair[1].ImagesPerSecond / pair[0].ImagesPerSecond);
        }
        foreach (var kernel in new[] { "torch", "native" })
        {
            var mine = trainingRates.Where(x => x.Kernel == kernel).ToList();
            terminal.Output.WriteLine($"median {kernel}: {TrainingBenchmark.Median(mine.Select(x => x.ImagesPerSecond)):F1} train img/s, " +
                                      $"{TrainingBenchmark.Median(mine.Select(x => x.MsPerTrial)):F3} ms/trial, " +
                                      $"{TrainingBenchmark.Median(mine.Select(x => x.TrialsPerBatch)):F1} trials/batch, " +
                                      $"{TrainingBenchmark.Median(mine.Select(x => x.ImagesPerCpuSecond)):F1} img per CPU-second");
        }
        terminal.Output.WriteLine($"native/torch speed ratio per repeat: {string.Join(", ", ratios.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)))}; median {TrainingBenchmark.Median(ratios):F2}");
        if (sideBySide)
        {
            var rates = new List<SideBySideRate>();
            for (int r = 0; r < repeats; r++)
            {
                var rate = TrainingBenchmark.SideBySide(TrainingBenchmark.ParityRun(dataset, trainSize, AmdKernel.Native), data, cancel);
                rates.Add(rate);
                terminal.Output.WriteLine($"  side by side {r + 1}: one run {rate.Alone:F1} img/s, two runs {rate.Pair:F1} img/s together, " +
                                          $"ratio {rate.Ratio:F2}; per CPU-second ratio {rate.CpuEfficiency:F2}");
            }
            terminal.Output.WriteLine($"median side-by-side ratio (2 runs on 2 threads / 1 run): {TrainingBenchmark.Median(rates.Select(x => x.Ratio)):F2}; " +
                                      $"per CPU-second {TrainingBenchmark.Median(rates.Select(x => x.CpuEfficiency)):F2}");
        }
        terminal.Output.WriteLine($"peak resident memory {TrainingBenchmark.ResidentMegabytes("VmHWM:"):F0} MB");
        return ExitCodes.Success;
    }

    static int QualityFigures(Terminal terminal, string dataset, int trainSize, int testSize, int seeds, CancellationToken cancel)
    {
        DatasetSplits data;
        try
        {
            data = new DatasetStore(DataPaths.DefaultDirectory).Load(dataset);
        }
        catch (Exception e) when (e is DataException or IOException or ArgumentException)
        {
            terminal.Error.WriteLine($"error: --per-sample-quality {dataset}: {e.Message} (fetch it with 'gfe data fetch {dataset}')");
            return ExitCodes.Unavailable;
        }
        terminal.Output.WriteLine($"gfe bench --per-sample-quality {dataset}: {trainSize} training images, {testSize} test images, seeds 0-{seeds - 1}");
        var differences = new Dictionary<string, List<double>>();
        for (int seed = 0; seed < seeds; seed++)
        {
            var config = TrainingBenchmark.ParityRun(dataset, trainSize, AmdKernel.Native, seed) with { TestSize = testSize };
            var rows = TrainingBenchmark.PerSampleQuality(config, data, [1, 0.25, 0.0625], cancel);
            foreach (var (solver, loss, steps, gflops) in rows)
            {
                terminal.Output.WriteLine($"  seed {seed} {solver}: test loss {loss:F4} ({loss - rows[0].TestLoss:+0.0000;-0.0000}), " +
                                          $"{steps:F0} accepted steps/image, {gflops:F1} GFLOP/s");
                if (!differences.TryGetValue(solver.Split(' ')[^1], out var list)) differences[solver.Split(' ')[^1]] = list = [];
                list.Add(loss - rows[0].TestLoss);
            }
        }
        foreach (var (scale, list) in differences.Skip(1))
            terminal.Output.WriteLine($"per-sample scale {scale} minus batch: mean {list.Average():+0.0000;-0.0000}, per seed {string.Join(", ", list.Select(d => d.ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture)))}");
        return ExitCodes.Success;
    }

    static int MemoryFigures(Terminal terminal, long steps, CancellationToken cancel)
    {
        if (steps < 2)
        {
            terminal.Error.WriteLine($"error: --memory-steps must be at least 2, not {steps}");
            return ExitCodes.InvalidInput;
        }
        foreach (var kernel in new[] { AmdKernel.Torch, AmdKernel.Native })
        {
            var points = new List<string>();
            double peak = TrainingBenchmark.MemoryOverSteps(kernel, steps, 16,
                (done, megabytes) => points.Add($"{megabytes:F0} MB after {done} trials"), cancel);
            terminal.Output.WriteLine($"{TrainingBenchmark.Name(kernel)}: resident {string.Join(", ", points)}; process peak so far {peak:F0} MB");
        }
        return ExitCodes.Success;
    }

    static IReadOnlyList<T> ParseList<T>(string text, string option, Func<string, T> parse)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new FormatException($"{option} needs at least one value");
        try
        {
            return parts.Select(parse).ToList();
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new FormatException($"{option}: '{text}' is not a comma-separated list of whole numbers");
        }
    }

    static Table Table(IReadOnlyList<SolverBenchmarkRow> rows)
    {
        var table = new Table().AddColumns("solver", "B", "ms/step", "steps/batch", "rows/step/img", "train img/s",
            "test img/s", "GFLOP/s", "matmul GFLOP/s", "of matmul", "peak MB");
        foreach (var r in rows)
            table.AddRow(r.Solver, r.BatchSize.ToString(CultureInfo.InvariantCulture), F(r.MsPerStep, 2), F(r.StepsPerBatch, 1),
                F(r.RowsPerStep, 2), F(r.TrainImagesPerSecond, 1), F(r.TestImagesPerSecond, 1), F(r.Gflops, 2),
                F(r.MachineGflops, 1), F(r.MatmulFraction, 2), F(r.PeakMegabytes, 0));
        return table;
    }

    static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
