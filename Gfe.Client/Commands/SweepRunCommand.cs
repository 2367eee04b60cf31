using Gfe.Abstractions;
using Gfe.Client.Results;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Gfe.Engine.Data;
using Gfe.Engine.Data.Files;
using Gfe.Engine.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Spectre.Console;

namespace Gfe.Client.Commands;

/// <summary>
/// <c>gfe sweep run</c>: validate the sweep file, make sure its datasets are present (local mode), start a silo in
/// this process or connect to a cluster, run every run through its grain with live progress, and write the results.
/// </summary>
public static class SweepRunCommand
{
    /// <summary>How long stopping the silo or the client may take before gfe exits anyway.</summary>
    static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Trials of an early-stopped sweep training at once on a cluster, whose size the client does not know.</summary>
    const int ClusterTrialsAtOnce = 8;

    public static async Task<int> ExecuteAsync(SweepRunRequest request, Terminal terminal, CancellationToken cancel)
    {
        var sweep = SweepFileParser.Load(request.SweepFile, request.DataDirectory);
        var address = ClusterArguments.Resolve(request.Cluster);
        bool local = address is null;

        var resultsDirectory = Path.GetFullPath(Path.Combine(request.ResultsRoot, sweep.Name));
        try
        {
            Directory.CreateDirectory(resultsDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw GfeException.Unavailable($"cannot create the results folder {resultsDirectory}: {e.Message}", e);
        }
        var logFile = Path.Combine(resultsDirectory, "gfe.log");

        if (!request.Quiet)
        {
            terminal.Output.WriteLine($"sweep {sweep.Name}: {sweep.Runs.Count} runs on {(local ? "a local silo" : $"the cluster at {address}")}; results in {resultsDirectory}");
            foreach (var note in sweep.DuplicateNotes) terminal.Output.WriteLine($"note: {note}");
        }

        // The sweep file's own datasets travel with their runs (a silo anywhere loads them from the declaration), and
        // in local mode are also declared in the data directory.
        bool trains = sweep.Runs.Any(r => r.Config.Method != RunMethod.Simulate);
        if (trains && sweep.Datasets.Count > 0)
            sweep = GfeException.FromData(() => local ? SweepDatasets.Install(sweep, request.DataDirectory) : SweepDatasets.Prepare(sweep));
        if (local)
        {
            // Silos of a cluster fetch their own data; a local silo reads this machine's data directory.
            var datasets = sweep.Runs
                .Where(r => r.Config.Method != RunMethod.Simulate)
                .Select(r => r.Config.Dataset)
                .Distinct()
                .ToList();
            if (datasets.Count > 0)
            {
                await DatasetFetcher.EnsureAsync(datasets, request.DataDirectory, terminal, cancel);
                var tooLarge = DatasetSizeCheck.Problems(sweep, new DatasetStore(request.DataDirectory));
                if (tooLarge.Count > 0) throw GfeException.InvalidInput(string.Join(Environment.NewLine, tooLarge));
            }
        }

        IHost host;
        try
        {
            host = local
                ? await LocalCluster.StartAsync(request.DataDirectory, request.Slots, logFile, cancel, Path.Combine(resultsDirectory, LocalCluster.RunStoreFile))
                : await ClusterArguments.ConnectAsync(address!, logFile, request.ConnectTimeout.TotalSeconds, cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new GfeException(ExitCodes.Interrupted, "interrupted before any run was submitted");
        }
        catch (Exception e) when (e is not GfeException)
        {
            throw GfeException.Unavailable($"cannot start the local silo: {e.Message} (details in {logFile})", e);
        }

        try
        {
            var runner = new SweepRunner(host.Services.GetRequiredService<IGrainFactory>())
            {
                Budget = sweep.Search.Budget,
                RestartSearch = request.Restart,
                // Trials training at once: enough for the slots of a local silo, a few for a cluster (ASHA decides
                // better the fewer trials are under way when a rung fills).
                EarlyStop = EarlyStopPlan.Supported(sweep)
                    ? EarlyStopPlan.For(sweep, local ? Math.Max(1, (request.Slots ?? Environment.ProcessorCount) / Math.Max(1, sweep.Search.Replicates.Count)) : ClusterTrialsAtOnce)
                    : null,
            };
            // runs.csv is kept current as runs finish, so that a killed gfe leaves the finished runs listed.
            var live = new LiveRunsCsv(Path.Combine(resultsDirectory, ResultsWriter.RunsFile));
            Action<SweepProgress> Also(Action<SweepProgress> view) => progress => { view(progress); live.Report(progress); };
            var outcome = request.Quiet ? await runner.RunAsync(sweep.Runs, live.Report, cancel)
                : terminal.Interactive ? await LiveSweepView.ShowAsync(terminal.Out, sweep.Name, report => runner.RunAsync(sweep.Runs, Also(report), cancel))
                : await runner.RunAsync(sweep.Runs, Also(new PlainSweepView(terminal.Output).Report), cancel);

            var notWritten = WriteResults(resultsDirectory, sweep, outcome, out var report);
            Summarise(sweep, outcome, resultsDirectory, request.Quiet, terminal);
            if (!request.Quiet && report is { Latents.Count: > 0 }) ReportCommand.PrintLatents(report.Latents, terminal.Output);
            if (notWritten is not null) throw notWritten;
            return outcome.ExitCode;
        }
        finally
        {
            await StopAsync(host);
        }
    }

    /// <summary>Writes the results; when some file cannot be written in the results folder, writes them all again
    /// into a new folder under gfe's state folder, so that finished runs are never lost, and returns the exception
    /// (exit code 4) to throw once the summary is printed.</summary>
    public static GfeException? WriteResults(string resultsDirectory, SweepFile sweep, SweepOutcome outcome) =>
        WriteResults(resultsDirectory, sweep, outcome, out _);

    /// <inheritdoc cref="WriteResults(string, SweepFile, SweepOutcome)"/>
    /// <param name="report">What the report found (test-latent correlations, the search analysis), when written.</param>
    public static GfeException? WriteResults(string resultsDirectory, SweepFile sweep, SweepOutcome outcome, out WrittenReport? report)
    {
        report = null;
        try
        {
            report = ResultsWriter.Write(resultsDirectory, sweep, outcome);
            return null;
        }
        catch (ResultsNotWrittenException e)
        {
            string rescue;
            try
            {
                var folder = Path.Combine(StatePaths.Create("results"), $"{sweep.Name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
                ResultsWriter.Write(folder, sweep, outcome);
                rescue = $"all results were written to {folder} instead";
            }
            catch (GfeException second)
            {
                rescue = $"and not to the state folder either ({second.Message})";
            }
            catch (Exception second) when (second is IOException or UnauthorizedAccessException)
            {
                rescue = $"and not to the state folder either ({second.Message})";
            }
            return new GfeException(ExitCodes.ResultsNotWritten, $"{e.Message}; {rescue}");
        }
    }

    static void Summarise(SweepFile sweep, SweepOutcome outcome, string resultsDirectory, bool quiet, Terminal terminal)
    {
        var failed = outcome.Runs.Where(r => r.Status.State is RunState.Failed or RunState.Cancelled).ToList();
        // The plain progress lines have already named each failure as it happened.
        bool failuresShown = !quiet && !terminal.Interactive;
        foreach (var (run, status) in failed.Take(failuresShown ? 0 : 10))
            terminal.Error.WriteLine($"{status.State.ToString().ToLowerInvariant()}: {run.Key} ({run.Source}): {status.Error}");
        if (!failuresShown && failed.Count > 10)
            terminal.Error.WriteLine($"... and {failed.Count - 10} more failed runs (see {ResultsWriter.RunsFile})");
        if (outcome.Interrupted)
            terminal.Error.WriteLine($"interrupted: {outcome.Runs.Count(r => !r.Status.IsFinished)} runs unfinished; the finished ones are written");
        if (outcome.SearchCancelled)
            terminal.Error.WriteLine($"sweep {sweep.Name}: its search was cancelled (gfe sweep cancel); the results so far are written. 'gfe sweep run --restart' starts the search afresh (runs trained already are reused)");

        if (quiet) return;
        var pivot = ResultPivot.Build(outcome.Runs);
        if (pivot.Rows.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"{sweep.Name}: test loss per image");
            foreach (var column in pivot.RowSettings.Concat(pivot.Evaluations)) table.AddColumn(Markup.Escape(column));
            foreach (var row in pivot.Rows)
                table.AddRow([
                    .. row.Settings.Select(kv => Markup.Escape(kv.Value)),
                    .. pivot.Evaluations.Select(e => row.Cells.TryGetValue(e, out var cell) ? Markup.Escape(cell.ToString()) : ""),
                ]);
            terminal.Out.Write(table);
            terminal.Out.WriteLine();
        }
        if (sweep.Search.IsSampled || sweep.Search.Replicates.Count > 0)
            SummariseSearch(SearchAnalysis.Build(outcome.Runs.Select(RunRow.From)), terminal);
        var completed = outcome.Runs.Count(r => r.Status.State == RunState.Completed);
        var stopped = outcome.Runs.Count(r => r.Status.State == RunState.Stopped);
        if (EarlyStopSavings.Of(outcome.Runs.Select(RunRow.From)) is { } saved)
            terminal.Output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"early stopping: {saved.Stopped} runs stopped at a rung; {saved.ImagesSpent:N0} training images spent of {saved.ImagesFull:N0} for a full run of every trial ({saved.Fraction:P0})"));
        terminal.Output.WriteLine($"{completed}/{outcome.Runs.Count} runs completed{(stopped > 0 ? $", {stopped} stopped early" : "")}, {failed.Count} failed; results in {resultsDirectory}");
    }

    /// <summary>The head of report.md: the best three configurations per evaluation and the paired tests.</summary>
    static void SummariseSearch(SearchAnalysis analysis, Terminal terminal)
    {
        var shown = analysis.VaryingSettings.Where(s => s != "method").ToList();
        foreach (var best in analysis.Best.Where(b => b.Rank <= 3))
            terminal.Output.WriteLine($"best {best.Evaluation} #{best.Rank}: {best.Loss.Text()} {best.Configuration.Setting("method")} " +
                                      string.Join(" ", shown.Select(name => $"{name}={best.Configuration.Setting(name)}")));
        foreach (var paired in analysis.Paired)
            terminal.Output.WriteLine($"{paired.Dataset} n={paired.TrainSize}: {paired.A} - {paired.B} = {paired.Test.Difference.Text()}, " +
                                      $"paired t p={paired.Test.TPValue?.ToString("G3", System.Globalization.CultureInfo.InvariantCulture) ?? "-"}, " +
                                      $"Wilcoxon p={paired.Test.WilcoxonPValue?.ToString("G3", System.Globalization.CultureInfo.InvariantCulture) ?? "-"}");
    }

    static async Task StopAsync(IHost host)
    {
        using var timeout = new CancellationTokenSource(ShutdownTimeout);
        try
        {
            await host.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The runs of an interrupted local sweep may not stop in time; the process ends regardless.
        }
        host.Dispose();
    }
}
