using System.CommandLine;
using System.Globalization;
using Gfe.Engine.Benchmarks;
using Gfe.Engine.Data;
using Gfe.Engine.Kernels;
using Gfe.Engine.Runs;
using Spectre.Console;

namespace Gfe.Client.Commands;

/// <summary><c>gfe bench</c>: how fast this machine runs the latent solvers, whole training runs and the scheduler;
/// one subcommand per measurement (<c>solvers</c>, <c>training</c>, <c>per-sample-quality</c>, <c>memory</c>,
/// <c>scheduler</c>).</summary>
public static class BenchCommand
{
    public static Command Create(Terminal terminal)
    {
        var command = new Command("bench", """
            Measure this machine: pick what with a subcommand. The machine may be shared: compare rows of one run, and
            repeat for medians. Nothing here is part of a sweep or of the tests.
            """);
        command.Subcommands.Add(CreateSolvers(terminal));
        command.Subcommands.Add(CreateTraining(terminal));
        command.Subcommands.Add(CreatePerSampleQuality(terminal));
        command.Subcommands.Add(CreateMemory(terminal));
        command.Subcommands.Add(SchedulerBenchCommand.Create(terminal));
        command.Subcommands.Add(SearchBenchCommand.Create(terminal));
        command.Subcommands.Add(AuthorsBenchCommand.Create(terminal));
        return command;
    }

    internal static Option<int?> Repeats(string what) =>
        NumberOptions.OptionalWhole("--repeats", what, 1, 1000);

    static Command CreateSolvers(Terminal terminal)
    {
        var known = SolverBenchmark.Solvers(1);
        var defaults = new SolverBenchmarkSettings();
        var quick = new Option<bool>("--quick")
        {
            Description = $"A short run (under a minute): tau {SolverBenchmarkSettings.Quick.Tau}, one training batch, {SolverBenchmarkSettings.Quick.TestImages} test images (at least one batch), no repeats. Explicit options still apply.",
        };
        var csv = new Option<string?>("--csv") { Description = "Also write the table as CSV to this file.", HelpName = "FILE" };
        var batchSizes = NumberOptions.WholeList("--batch-sizes",
            $"Comma-separated batch sizes B. Default: {string.Join(",", defaults.BatchSizes)}.", 1, 100_000, "B,B,...");
        var solvers = new Option<string?>("--solvers")
        {
            Description = "Comma-separated solvers to measure (default: all): " +
                          string.Join("; ", known.Select(s => $"{s.Name}: {s.Description}")) + ".",
            HelpName = "NAME,...",
        };
        var tau = NumberOptions.OptionalReal("--tau",
            $"AMD horizon (default {defaults.Tau}; real runs use 1e4). Fewer steps per solve, same cost per step.", 0, 1e9, aboveMin: true, helpName: "T");
        var repeats = Repeats($"Measurements per row; the table shows medians (default {defaults.Repeats}).");
        var trainBatches = NumberOptions.OptionalWhole("--train-batches", $"Training batches timed per measurement (default {defaults.TrainBatches}).", 1, 1_000_000);
        var testImages = NumberOptions.OptionalWhole("--test-images", $"Test images encoded per measurement, rounded up to whole batches (default {defaults.TestImages}).", 1, 1_000_000);
        var threads = NumberOptions.OptionalWhole("--threads", "Torch threads (default 1, as each run uses one core).", 1, 1024);
        var simd = new Option<string?>("--simd")
        {
            Description = "Force the native kernel's SIMD path: avx512, avx2, vector128 (neon on ARM) or scalar; one this CPU " +
                          $"cannot run is refused (exit 2). Default: the fastest here ({SimdPaths.Name(SimdPaths.Fastest)}), or ${SimdPaths.EnvironmentVariable}. " +
                          "libtorch (the torch path, the matmul reference) keeps the CPU's full instruction set; to measure as a CPU " +
                          $"without the wider set would, run as ${SimdPaths.EnvironmentVariable}=PATH ./gfe bench ..., which holds libtorch to PATH too.",
            HelpName = "PATH",
        };

        var command = new Command("solvers", $"""
            Measure the latent solvers on this machine, on synthetic MNIST-like images and an untrained decoder, at
            each batch size: time per latent step (AMD: one trial; per-sample: one round over the unfinished images),
            steps per batch, decoder rows per step per image (forward + backward; it shows the lean passes and the
            per-sample compaction), training and test-encoding images per second, achieved GFLOP/s beside the rate of
            a large [1000,600]@[600,784] matmul measured just before each row and their ratio (the fraction of the
            matmul rate the solves reach), and the process's peak resident memory (VmHWM, it only grows). The first
            line names the SIMD path the native kernel runs (--simd forces one).
            FLOPs: 1.397 MFLOP per image per decoder forward, the same per backward to the input.
            {ExitCodes.Help}
            """);
        foreach (var option in new Option[] { quick, csv, batchSizes, solvers, tau, repeats, trainBatches, testImages, threads, simd })
            command.Options.Add(option);

        command.SetAction((parse, cancel) =>
        {
            var settings = parse.GetValue(quick) ? SolverBenchmarkSettings.Quick : defaults;
            if (parse.GetValue(simd) is { } forcedPath)
            {
                if (SimdPaths.Problem(forcedPath) is { } problem) throw GfeException.InvalidInput($"--simd: {problem}");
                SimdPaths.Force(SimdPaths.Parse(forcedPath));
            }
            else if (Environment.GetEnvironmentVariable(SimdPaths.EnvironmentVariable) is { Length: > 0 } fromEnvironment &&
                     SimdPaths.Problem(fromEnvironment) is { } environmentProblem)
                throw GfeException.InvalidInput($"{SimdPaths.EnvironmentVariable}: {environmentProblem}");
            if (parse.GetValue(batchSizes) is { } b) settings = settings with { BatchSizes = b };
            if (parse.GetValue(solvers) is { } s)
            {
                var names = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (names.Length == 0) throw GfeException.InvalidInput("--solvers needs at least one solver name");
                settings = settings with { Solvers = names };
            }
            if (parse.GetValue(tau) is { } t) settings = settings with { Tau = t };
            if (parse.GetValue(repeats) is { } r) settings = settings with { Repeats = r };
            if (parse.GetValue(trainBatches) is { } tb) settings = settings with { TrainBatches = tb };
            if (parse.GetValue(testImages) is { } ti) settings = settings with { TestImages = ti };
            if (parse.GetValue(threads) is { } th) settings = settings with { Threads = th };

            IReadOnlyList<SolverBenchmarkRow> rows;
            try
            {
                terminal.Output.WriteLine($"gfe bench solvers: tau {settings.Tau}, B {string.Join(",", settings.BatchSizes)}, " +
                                          $"{settings.Repeats} repeat(s), {settings.Threads} thread(s), {Environment.ProcessorCount} cores, " +
                                          $"native kernel SIMD path {SimdPaths.Name(SimdPaths.Default)} (this CPU runs {string.Join(", ", SimdPaths.Runnable.Select(SimdPaths.Name))}); " +
                                          TorchInstructions.Describe(SimdPaths.Default));
                rows = SolverBenchmark.Run(settings, row => terminal.Output.WriteLine(
                    $"  {row.Solver} B={row.BatchSize}: {row.MsPerStep:F2} ms/step, {row.TestImagesPerSecond:F1} test img/s"), cancel);
            }
            catch (ArgumentException e)
            {
                throw GfeException.InvalidInput(e.Message);
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

    internal static Argument<string> DatasetArgument(string what) => new("dataset")
    {
        Description = $"{what} (e.g. mnist, fashion-mnist), from the data directory (${DataPaths.EnvironmentVariable}, else ~/.local/share/gfe/data).",
    };

    internal static Option<int> TrainSize() => NumberOptions.Whole("--train-size", "Training images (default 480).", 1, 1_000_000, 480);

    static Command CreateTraining(Terminal terminal)
    {
        var dataset = DatasetArgument("The dataset to train on");
        var trainSize = TrainSize();
        var repeats = Repeats("Repeats of each kernel (default 3).");
        var sideBySide = new Option<bool>("--side-by-side")
        {
            Description = "Also one native run alone, then two at once on two threads of this process; prints the throughput ratio (2 = perfect on 2 cores).",
        };
        var method = new Option<string>("--method")
        {
            Description = "What to train: gfe-amd (default; amd.kernel torch against native, with --gradient adjoint adjoint.kernel " +
                          "too), gfe-rk4 or gfe-nesterov (the flows' parity run: linear grid of 100 points, tau 1e4, z0 zero, the " +
                          "--gradient; flow.kernel torch against native).",
            HelpName = "METHOD",
            DefaultValueFactory = _ => "gfe-amd",
        };
        method.AcceptOnlyFromAmong("gfe-amd", "gfe-rk4", "gfe-nesterov");
        var gradient = new Option<string>("--gradient")
        {
            Description = "The training gradient: approximate (default) or adjoint (the exact adjoint; its gradients and " +
                          "R-passes run on the kernel under test too).",
            HelpName = "GRADIENT",
            DefaultValueFactory = _ => "approximate",
        };
        gradient.AcceptOnlyFromAmong("approximate", "adjoint");
        var rpassOnly = new Option<bool>("--rpass-only")
        {
            Description = "gfe-amd with --gradient adjoint: keep AMD on the native kernel and alternate only the adjoint's " +
                          "gradients and R-passes (adjoint.kernel torch against native).",
        };
        var testSize = NumberOptions.Whole("--test-size", "Test images of each run's timed test (default 16, so that training dominates); its encoding rate is printed.", 1, 1_000_000, 16);
        var command = new Command("training", $"""
            Time whole training runs with parity settings (B 16, tau 1e4, one thread), GFE-amd by default (--method),
            on the torch and the native kernel alternately, --repeats times; prints training images/s, latent steps per
            batch (AMD trials, or RK4 stages for the flows) and ms per step, images per CPU-second, the test's encoding
            rate, and the native/torch ratio of each repeat.
            {ExitCodes.Help}
            """);
        command.Arguments.Add(dataset);
        foreach (var option in new Option[] { trainSize, repeats, sideBySide, method, testSize, gradient, rpassOnly }) command.Options.Add(option);
        command.SetAction((parse, cancel) =>
        {
            var config = RunParameters.Apply(RunParameters.Apply(new RunConfig(), "method", parse.GetValue(method)!), "gradient", parse.GetValue(gradient)!);
            if (parse.GetValue(rpassOnly) && (config.Method != RunMethod.GfeAmd || config.Gradient != GradientMode.Adjoint))
                throw GfeException.InvalidInput("--rpass-only times GFE-amd's exact adjoint: it needs --method gfe-amd and --gradient adjoint");
            return Task.FromResult(TrainingFigures(terminal, parse.GetValue(dataset)!, parse.GetValue(trainSize), parse.GetValue(repeats) ?? 3,
                parse.GetValue(sideBySide), cancel, config.Method, parse.GetValue(testSize), config.Gradient, parse.GetValue(rpassOnly)));
        });
        return command;
    }

    static Command CreatePerSampleQuality(Terminal terminal)
    {
        var dataset = DatasetArgument("The dataset to train and test on");
        var trainSize = TrainSize();
        var testImages = NumberOptions.Whole("--test-images", "Test images encoded (the first ones; default 500).", 1, 1_000_000, 500);
        var repeats = Repeats("Seeds 0..N-1 (default 3).");
        var command = new Command("per-sample-quality", $"""
            Train a parity GFE-amd decoder (native kernel) on --train-size images, then encode the first --test-images
            test images with batch-coupled AMD (B 16) and with per-sample AMD in one batch at
            amd.perSampleToleranceScale 1, 1/4 and 1/16; prints test losses, steps per image and GFLOP/s per seed.
            {ExitCodes.Help}
            """);
        command.Arguments.Add(dataset);
        foreach (var option in new Option[] { trainSize, testImages, repeats }) command.Options.Add(option);
        command.SetAction((parse, cancel) => Task.FromResult(QualityFigures(terminal, parse.GetValue(dataset)!,
            parse.GetValue(trainSize), parse.GetValue(testImages), parse.GetValue(repeats) ?? 3, cancel)));
        return command;
    }

    static Command CreateMemory(Terminal terminal)
    {
        var steps = new Option<long>("--steps")
        {
            Description = "AMD trials per kernel (at least 2; default 10000).",
            HelpName = "N",
            DefaultValueFactory = _ => 10_000,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                if (long.TryParse(text, System.Globalization.NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n is >= 2 and <= 1_000_000_000)
                    return n;
                result.AddError($"--steps must be a whole number 2 to 1000000000, not '{text}'");
                return 0;
            },
        };
        var command = new Command("memory", $"""
            GFE-amd training steps on synthetic B = 16 batches until --steps AMD trials have run, per kernel; prints
            resident memory at the start, middle and end, and the peak. Flat figures mean nothing leaks per step.
            {ExitCodes.Help}
            """);
        command.Options.Add(steps);
        command.SetAction((parse, cancel) => Task.FromResult(MemoryFigures(terminal, parse.GetValue(steps), cancel)));
        return command;
    }

    /// <summary>A dataset from the data directory, or exit code 3 saying how to fetch it.</summary>
    internal static DatasetSplits LoadDataset(string dataset)
    {
        try
        {
            return new DatasetStore(DataPaths.DefaultDirectory).Load(dataset);
        }
        catch (Exception e) when (e is DataException or IOException or ArgumentException)
        {
            throw GfeException.Unavailable($"{dataset}: {e.Message} (fetch it with 'gfe data fetch {dataset}')", e);
        }
    }

    /// <summary>Whole parity runs per kernel on real data, alternating so both see the same machine load.</summary>
    static int TrainingFigures(Terminal terminal, string dataset, int trainSize, int repeats, bool sideBySide, CancellationToken cancel,
        RunMethod method = RunMethod.GfeAmd, int testSize = 16, GradientMode gradient = GradientMode.Approximate, bool rpassOnly = false)
    {
        RunConfig Parity(AmdKernel kernel) => (method == RunMethod.GfeAmd
            ? TrainingBenchmark.ParityRun(dataset, trainSize, kernel, amdKernel: rpassOnly ? AmdKernel.Native : null)
            : TrainingBenchmark.ParityFlowRun(dataset, trainSize, method, kernel)) with { TestSize = testSize, Gradient = gradient };
        string steps = method == RunMethod.GfeAmd ? "trials" : "stages";
        var data = LoadDataset(dataset);
        terminal.Output.WriteLine($"gfe bench training {dataset}: {RunParameters.MethodName(method)} parity, {trainSize} training images, {testSize} test images, B 16, tau 1e4, {gradient.ToString().ToLowerInvariant()} gradient, " +
                                  $"{repeats} repeat(s), 1 torch thread, {Environment.ProcessorCount} cores, SIMD {SimdPaths.Name(SimdPaths.Default)}; {TorchInstructions.Describe(SimdPaths.Default)}");
        var trainingRates = new List<TrainingRate>();
        var ratios = new List<double>();
        var cpuRatios = new List<double>();
        if (rpassOnly) terminal.Output.WriteLine("AMD on the native kernel in every run; only the adjoint's gradients and R-passes alternate (adjoint.kernel)");
        for (int r = 0; r < repeats; r++)
        {
            var pair = new List<TrainingRate>();
            foreach (var kernel in new[] { AmdKernel.Torch, AmdKernel.Native })
            {
                var rate = TrainingBenchmark.Measure(Parity(kernel), data, cancel);
                pair.Add(rate);
                terminal.Output.WriteLine($"  repeat {r + 1} {rate.Kernel}: {rate.ImagesPerSecond:F1} train img/s, " +
                                          $"{rate.TrialsPerBatch:F1} {steps}/batch, {rate.MsPerTrial:F3} ms/{steps[..^1]}, test loss {rate.TestLoss:F4}, " +
                                          $"{rate.ImagesPerCpuSecond:F1} img per CPU-second, test {rate.TestImagesPerSecond:F1} img/s");
            }
            trainingRates.AddRange(pair);
            ratios.Add(pair[1].ImagesPerSecond / pair[0].ImagesPerSecond);
            cpuRatios.Add(pair[1].ImagesPerCpuSecond / pair[0].ImagesPerCpuSecond);
        }
        foreach (var kernel in new[] { "torch", "native" })
        {
            var mine = trainingRates.Where(x => x.Kernel == kernel).ToList();
            terminal.Output.WriteLine($"median {kernel}: {TrainingBenchmark.Median(mine.Select(x => x.ImagesPerSecond)):F1} train img/s, " +
                                      $"{TrainingBenchmark.Median(mine.Select(x => x.MsPerTrial)):F3} ms/{steps[..^1]}, " +
                                      $"{TrainingBenchmark.Median(mine.Select(x => x.TrialsPerBatch)):F1} {steps}/batch, " +
                                      $"{TrainingBenchmark.Median(mine.Select(x => x.ImagesPerCpuSecond)):F1} img per CPU-second, " +
                                      $"test {TrainingBenchmark.Median(mine.Select(x => x.TestImagesPerSecond)):F1} img/s");
        }
        terminal.Output.WriteLine($"native/torch speed ratio per repeat: {string.Join(", ", ratios.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)))}; median {TrainingBenchmark.Median(ratios):F2}");
        terminal.Output.WriteLine($"native/torch ratio of images per CPU-second: {string.Join(", ", cpuRatios.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)))}; median {TrainingBenchmark.Median(cpuRatios):F2}");
        if (sideBySide)
        {
            var rates = new List<SideBySideRate>();
            for (int r = 0; r < repeats; r++)
            {
                var rate = TrainingBenchmark.SideBySide(Parity(AmdKernel.Native), data, cancel);
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
        var data = LoadDataset(dataset);
        terminal.Output.WriteLine($"gfe bench per-sample-quality {dataset}: {trainSize} training images, {testSize} test images, seeds 0-{seeds - 1}");
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
        foreach (var kernel in new[] { AmdKernel.Torch, AmdKernel.Native })
        {
            var points = new List<string>();
            double peak = TrainingBenchmark.MemoryOverSteps(kernel, steps, 16,
                (done, megabytes) => points.Add($"{megabytes:F0} MB after {done} trials"), cancel);
            terminal.Output.WriteLine($"{TrainingBenchmark.Name(kernel)}: resident {string.Join(", ", points)}; process peak so far {peak:F0} MB");
        }
        return ExitCodes.Success;
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
