using System.CommandLine;
using System.Globalization;
using Gfe.Engine.Benchmarks;
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

        var command = new Command("bench", """
            Measure the latent solvers on this machine, on synthetic MNIST-like images and an untrained decoder, at
            each batch size: time per latent step (AMD: one trial; per-sample: one round over the unfinished images),
            steps per batch, decoder rows per step per image (forward + backward; it shows the lean passes and the
            per-sample compaction), training and test-encoding images per second, achieved GFLOP/s beside the rate of
            a large [1000,600]@[600,784] matmul measured just before each row, and the process's peak resident memory (VmHWM, it only grows).
            FLOPs: 1.397 MFLOP per image per decoder forward, the same per backward to the input.
            The machine may be shared: compare rows of one run, and repeat for medians.
            Exit codes: 0 done, 2 invalid arguments, 130 interrupted.
            """);
        foreach (var option in new Option[] { quick, csv, batchSizes, solvers, tau, repeats, trainBatches, testImages, threads })
            command.Options.Add(option);
        command.Subcommands.Add(SchedulerBenchCommand.Create(terminal));

        command.SetAction((parse, cancel) =>
        {
            var settings = parse.GetValue(quick) ? SolverBenchmarkSettings.Quick : defaults;
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

            IReadOnlyList<SolverBenchmarkRow> rows;
            try
            {
                terminal.Output.WriteLine($"gfe bench: tau {settings.Tau}, B {string.Join(",", settings.BatchSizes)}, " +
                                          $"{settings.Repeats} repeat(s), {settings.Threads} thread(s), {Environment.ProcessorCount} cores");
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
            "test img/s", "GFLOP/s", "matmul GFLOP/s", "peak MB");
        foreach (var r in rows)
            table.AddRow(r.Solver, r.BatchSize.ToString(CultureInfo.InvariantCulture), F(r.MsPerStep, 2), F(r.StepsPerBatch, 1),
                F(r.RowsPerStep, 2), F(r.TrainImagesPerSecond, 1), F(r.TestImagesPerSecond, 1), F(r.Gflops, 2),
                F(r.MachineGflops, 1), F(r.PeakMegabytes, 0));
        return table;
    }

    static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
