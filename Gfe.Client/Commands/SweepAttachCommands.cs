using System.CommandLine;
using System.Globalization;
using Gfe.Abstractions;
using Gfe.Client.Results;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Spectre.Console;

namespace Gfe.Client.Commands;

/// <summary>
/// <c>gfe sweep status|watch|results|cancel</c>: re-attach to a sweep that runs on a cluster without submitting
/// anything. The runs are found by the keys of the sweep file's runs, so give the file that was run.
/// </summary>
public static class SweepAttachCommands
{
    /// <summary>How long stopping the client may take before gfe exits anyway.</summary>
    static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(15);

    public static IEnumerable<Command> Create(Terminal terminal) =>
        [CreateStatus(terminal), CreateWatch(terminal), CreateResults(terminal), CreateCancel(terminal)];

    static Argument<string> SweepFileArgument() => new("file")
    {
        Description = "The sweep file (YAML) that was run: its runs' keys name the grains to ask.",
    };

    static Option<string?> ClusterOption() => new("--cluster")
    {
        Description = $"The cluster the sweep runs on, as for 'gfe sweep run': 'redis://[:PASSWORD@]HOST[:PORT]', 'localhost[:PORT]' or 'host:port,...'. Default: ${ClusterConnection.EnvironmentVariable}; required (local-mode runs end with their gfe process).",
        HelpName = "GATEWAYS",
    };

    static Option<string> ResultsOption() => new("--results")
    {
        Description = "Folder that receives the results, as for 'gfe sweep run': <DIR>/<sweep name>/.",
        HelpName = "DIR",
        DefaultValueFactory = _ => "results",
    };

    static Command CreateStatus(Terminal terminal)
    {
        var (file, cluster) = (SweepFileArgument(), ClusterOption());
        var command = new Command("status", """
            Show where every run of a sweep on a cluster is (state, progress, silo, error), once. Submits nothing.
            Exit codes: 0 shown, 2 invalid sweep file or arguments, 3 cluster unavailable.
            """);
        command.Arguments.Add(file);
        command.Options.Add(cluster);
        command.SetAction((parse, cancel) => AttachAsync(parse.GetValue(file)!, parse.GetValue(cluster), null, terminal, cancel,
            async (sweep, attachment, _) =>
            {
                var progress = await attachment.PollAsync(sweep.Runs, TimeSpan.Zero);
                ShowStatus(sweep, progress, terminal);
                return ExitCodes.Success;
            }));
        return command;
    }

    static Command CreateWatch(Terminal terminal)
    {
        var (file, cluster, results) = (SweepFileArgument(), ClusterOption(), ResultsOption());
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress display; print only problems." };
        var command = new Command("watch", """
            Follow the runs of a sweep on a cluster until every submitted run has finished, then write the results
            (as 'gfe sweep run' does). Submits nothing: runs never submitted stay so ('gfe sweep run' submits them).
            Ctrl+C stops watching and writes what has finished; the runs go on.
            Exit codes: 0 all runs completed, 1 a run failed or was never submitted, 2 invalid sweep file or
            arguments, 3 cluster unavailable, 130 interrupted.
            """);
        command.Arguments.Add(file);
        command.Options.Add(cluster);
        command.Options.Add(results);
        command.Options.Add(quiet);
        command.SetAction((parse, cancel) => AttachAsync(parse.GetValue(file)!, parse.GetValue(cluster), parse.GetValue(results), terminal, cancel,
            async (sweep, attachment, resultsDirectory) =>
            {
                var outcome = parse.GetValue(quiet) ? await attachment.WatchAsync(sweep.Runs, null, cancel)
                    : terminal.Interactive ? await LiveSweepView.ShowAsync(terminal.Out, sweep.Name, report => attachment.WatchAsync(sweep.Runs, report, cancel))
                    : await attachment.WatchAsync(sweep.Runs, new PlainSweepView(terminal.Output).Report, cancel);
                return WriteResults(sweep, outcome, resultsDirectory!, terminal);
            }));
        return command;
    }

    static Command CreateResults(Terminal terminal)
    {
        var (file, cluster, results) = (SweepFileArgument(), ClusterOption(), ResultsOption());
        var command = new Command("results", """
            Write the results of a sweep on a cluster as they are now (runs.csv lists unfinished runs with their
            state), without waiting. Submits nothing.
            Exit codes: 0 all runs completed, 1 some did not, 2 invalid sweep file or arguments, 3 cluster unavailable.
            """);
        command.Arguments.Add(file);
        command.Options.Add(cluster);
        command.Options.Add(results);
        command.SetAction((parse, cancel) => AttachAsync(parse.GetValue(file)!, parse.GetValue(cluster), parse.GetValue(results), terminal, cancel,
            async (sweep, attachment, resultsDirectory) =>
            {
                var now = DateTime.UtcNow;
                var progress = await attachment.PollAsync(sweep.Runs, TimeSpan.Zero);
                if (progress.PollError is { } error) terminal.Error.WriteLine($"warning: not every run answered; e.g. {error}");
                return WriteResults(sweep, new SweepOutcome(progress.Runs, false, now, DateTime.UtcNow), resultsDirectory!, terminal);
            }));
        return command;
    }

    static Command CreateCancel(Terminal terminal)
    {
        var (file, cluster) = (SweepFileArgument(), ClusterOption());
        var command = new Command("cancel", """
            Cancel every queued or running run of a sweep on a cluster; they are recorded as cancelled (a later
            'gfe sweep run' trains them again). Completed runs keep their results.
            Exit codes: 0 done, 2 invalid sweep file or arguments, 3 cluster unavailable.
            """);
        command.Arguments.Add(file);
        command.Options.Add(cluster);
        command.SetAction((parse, cancel) => AttachAsync(parse.GetValue(file)!, parse.GetValue(cluster), null, terminal, cancel,
            async (sweep, attachment, _) =>
            {
                var cancelled = await attachment.CancelAsync(sweep.Runs);
                foreach (var (run, status) in cancelled)
                    terminal.Output.WriteLine($"cancel: {run.Key} ({status.State.ToString().ToLowerInvariant()})");
                terminal.Output.WriteLine($"sweep {sweep.Name}: cancel asked of {cancelled.Count} queued or running runs of {sweep.Runs.Count}");
                return ExitCodes.Success;
            }));
        return command;
    }

    /// <summary>Loads the sweep file, connects to the cluster and runs <paramref name="action"/> with the results
    /// folder (when <paramref name="resultsRoot"/> is given) or null. Problems are reported with exit codes 2 and 3.</summary>
    static async Task<int> AttachAsync(
        string sweepFile, string? cluster, string? resultsRoot, Terminal terminal, CancellationToken cancel,
        Func<SweepFile, SweepAttachment, string?, Task<int>> action)
    {
        SweepFile sweep;
        try
        {
            sweep = SweepFileParser.Load(sweepFile);
        }
        catch (SweepFileException e)
        {
            terminal.Error.WriteLine(e.Message);
            return ExitCodes.InvalidInput;
        }

        cluster = string.IsNullOrWhiteSpace(cluster) ? Environment.GetEnvironmentVariable(ClusterConnection.EnvironmentVariable) : cluster;
        if (string.IsNullOrWhiteSpace(cluster))
        {
            terminal.Error.WriteLine($"error: --cluster (or ${ClusterConnection.EnvironmentVariable}) is required: only a cluster keeps runs after their gfe process ends");
            return ExitCodes.InvalidInput;
        }
        ClusterAddress address;
        try
        {
            address = ClusterAddress.Parse(cluster);
        }
        catch (ArgumentException e)
        {
            terminal.Error.WriteLine($"error: --cluster '{ClusterAddress.Redact(cluster)}': {e.Message}");
            return ExitCodes.InvalidInput;
        }

        string? resultsDirectory = resultsRoot is null ? null : Path.GetFullPath(Path.Combine(resultsRoot, sweep.Name));
        string logFile;
        try
        {
            var logFolder = resultsDirectory ?? Path.Combine(Path.GetTempPath(), "gfe");
            Directory.CreateDirectory(logFolder);
            logFile = Path.Combine(logFolder, resultsDirectory is null ? $"{sweep.Name}.log" : "gfe.log");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            terminal.Error.WriteLine($"error: cannot create the folder for gfe's log: {e.Message}");
            return ExitCodes.Unavailable;
        }

        IHost host;
        try
        {
            host = await ClusterConnection.ConnectAsync(address, logFile, cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            terminal.Error.WriteLine($"error: cannot connect to the cluster at {address}: {e.Message} (details in {logFile})");
            return ExitCodes.Unavailable;
        }

        try
        {
            return await action(sweep, new SweepAttachment(host.Services.GetRequiredService<IGrainFactory>()), resultsDirectory);
        }
        catch (Exception e) when (e is TimeoutException or Orleans.Runtime.OrleansException)
        {
            terminal.Error.WriteLine($"error: the cluster at {address} did not answer: {e.Message}");
            return ExitCodes.Unavailable;
        }
        finally
        {
            using var timeout = new CancellationTokenSource(ShutdownTimeout);
            try { await host.StopAsync(timeout.Token); }
            catch (OperationCanceledException) { /* the process ends regardless */ }
            host.Dispose();
        }
    }

    static void ShowStatus(SweepFile sweep, SweepProgress progress, Terminal terminal)
    {
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumns("key", "state", "phase", "progress", "silo", "error");
        foreach (var (run, status) in progress.Runs)
            table.AddRow(
                Markup.Escape(run.Key),
                Markup.Escape(StateName(status.State)),
                Markup.Escape(status.Phase),
                status.Progress.ToString("P0", CultureInfo.InvariantCulture),
                Markup.Escape(status.Silo ?? ""),
                Markup.Escape(status.Error ?? ""));
        terminal.Out.Write(table);
        int notSubmitted = progress.Runs.Count(r => r.Status.State == RunState.NotStarted);
        terminal.Output.WriteLine(
            $"sweep {sweep.Name}: {progress.Completed}/{progress.Total} completed, {progress.Running} running, " +
            $"{progress.Queued - notSubmitted} queued, {progress.Failed} failed or cancelled, {notSubmitted} not submitted" +
            (progress.Stopped > 0 ? $", {progress.Stopped} stopped early" : ""));
        if (progress.PollError is { } error) terminal.Error.WriteLine($"warning: not every run answered; e.g. {error}");
    }

    static string StateName(RunState state) => state == RunState.NotStarted ? "not submitted" : state.ToString().ToLowerInvariant();

    static int WriteResults(SweepFile sweep, SweepOutcome outcome, string resultsDirectory, Terminal terminal)
    {
        try
        {
            ResultsWriter.Write(resultsDirectory, sweep, outcome);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            terminal.Error.WriteLine($"error: cannot write the results to {resultsDirectory}: {e.Message}");
            return ExitCodes.RunsFailed;
        }
        int completed = outcome.Runs.Count(r => r.Status.State == RunState.Completed);
        int notSubmitted = outcome.Runs.Count(r => r.Status.State == RunState.NotStarted);
        terminal.Output.WriteLine($"{completed}/{outcome.Runs.Count} runs completed" +
            (notSubmitted > 0 ? $", {notSubmitted} never submitted (gfe sweep run submits them)" : "") + $"; results in {resultsDirectory}");
        return outcome.ExitCode;
    }
}
