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

    static Option<string?> ClusterOption() => ClusterArguments.Cluster(
        $"The cluster the sweep runs on, as for 'gfe sweep run': 'redis://[:PASSWORD@]HOST[:PORT]', 'localhost[:PORT]' or 'host:port,...'. Default: ${ClusterConnection.EnvironmentVariable}; required (local-mode runs end with their gfe process).");

    /// <summary>Adds the sweep file, --cluster and --connect-timeout to <paramref name="command"/> and returns a way
    /// to run an action attached to the cluster with them.</summary>
    static Func<ParseResult, string?, CancellationToken, Func<SweepFile, SweepAttachment, string?, Task<int>>, Task<int>> Attach(
        Command command, Terminal terminal)
    {
        var (file, cluster, timeout) = (SweepFileArgument(), ClusterOption(), ClusterArguments.ConnectTimeout());
        var dataDir = SweepCommand.DataDirOption("Where the datasets declared by 'gfe data add' are found, as for 'gfe sweep run' (the sweep file may name them).");
        command.Arguments.Add(file);
        command.Options.Add(cluster);
        command.Options.Add(timeout);
        command.Options.Add(dataDir);
        return (parse, resultsRoot, cancel, action) => AttachAsync(parse.GetValue(file)!, parse.GetValue(dataDir)!, parse.GetValue(cluster),
            parse.GetValue(timeout), resultsRoot, terminal, cancel, action);
    }

    static Option<string> ResultsOption() => new("--results")
    {
        Description = "Folder that receives the results, as for 'gfe sweep run': <DIR>/<sweep name>/.",
        HelpName = "DIR",
        DefaultValueFactory = _ => "results",
    };

    static Command CreateStatus(Terminal terminal)
    {
        var command = new Command("status", $"""
            Show where every run of a sweep on a cluster is (state, progress, silo, error), once, and for a sweep with
            earlyStop where its search is (done, cancelled or stopped by its budget; decisions; trials per rung;
            training images committed). Submits nothing.
            Logs to {StatePaths.Directory}/<sweep>.log.
            {ExitCodes.Help}
            """);
        var attach = Attach(command, terminal);
        command.SetAction((parse, cancel) => attach(parse, null, cancel,
            (sweep, attachment, _) => ShowStatusAsync(sweep, attachment, terminal)));
        return command;
    }

    /// <summary><c>gfe sweep status</c> once attached: every run, then, for a sweep with earlyStop, its search.</summary>
    public static async Task<int> ShowStatusAsync(SweepFile sweep, SweepAttachment attachment, Terminal terminal)
    {
        var progress = await attachment.PollAsync(sweep.Runs, TimeSpan.Zero);
        ShowStatus(sweep, progress, terminal);
        if (EarlyStopPlan.Supported(sweep))
            terminal.Output.WriteLine(SearchLine(await attachment.SearchStatusAsync(EarlyStopPlan.KeyOf(sweep))));
        return ExitCodes.Success;
    }

    /// <summary>One line on a search: finished, cancelled, stopped by its budget or under way; its decisions, how many
    /// trials stand at each rung, and the training images its starts and promotions committed.</summary>
    public static string SearchLine(SweepStatus search)
    {
        if (!search.Started) return "search: not started on this cluster";
        string state = search.Cancelled ? "cancelled"
            : search.BudgetReached is { } budget ? $"{(search.Done ? "done" : "under way")}, budget reached ({budget})"
            : search.Done ? "done" : "under way";
        var rungs = search.ReachedRung.Values.GroupBy(r => r).OrderBy(g => g.Key)
            .Select(g => g.Key == 0 ? $"{g.Count()} before the first rung" : $"{g.Count()} at rung {g.Key}");
        return string.Create(CultureInfo.InvariantCulture,
            $"search: {state}; {search.Decisions} decisions; trials: {string.Join(", ", rungs)}; {search.ImagesCommitted:#,0} training images committed");
    }

    static Command CreateWatch(Terminal terminal)
    {
        var results = ResultsOption();
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress display; print only problems." };
        var command = new Command("watch", $"""
            Follow the runs of a sweep on a cluster until every submitted run has finished, then write the results
            (as 'gfe sweep run' does). Submits nothing: runs never submitted stay so ('gfe sweep run' submits them,
            and until then they count as not completed: exit code 1). Ctrl+C stops watching and writes what has
            finished; the runs go on.
            {ExitCodes.Help}
            """);
        var attach = Attach(command, terminal);
        command.Options.Add(results);
        command.Options.Add(quiet);
        command.SetAction((parse, cancel) => attach(parse, parse.GetValue(results), cancel,
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
        var results = ResultsOption();
        var command = new Command("results", $"""
            Write the results of a sweep on a cluster as they are now (runs.csv lists unfinished runs with their
            state), without waiting. Submits nothing. Exit code 1 when some run has not completed.
            {ExitCodes.Help}
            """);
        var attach = Attach(command, terminal);
        command.Options.Add(results);
        command.SetAction((parse, cancel) => attach(parse, parse.GetValue(results), cancel,
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
        var command = new Command("cancel", $"""
            Cancel every queued or running run of a sweep on a cluster; they are recorded as cancelled (a later
            'gfe sweep run' trains them again). Completed runs keep their results. A sweep with earlyStop has its
            search cancelled first: no trial starts and none is promoted any more, and a later 'gfe sweep run' of
            the file says so and writes the results (exit code 1) unless given --restart.
            {ExitCodes.Help}
            """);
        var attach = Attach(command, terminal);
        command.SetAction((parse, cancel) => attach(parse, null, cancel, (sweep, attachment, _) => CancelAsync(sweep, attachment, terminal)));
        return command;
    }

    /// <summary><c>gfe sweep cancel</c> once attached: the search of a sweep with earlyStop first (so that it starts
    /// nothing after its runs are cancelled), then every queued or running run.</summary>
    public static async Task<int> CancelAsync(SweepFile sweep, SweepAttachment attachment, Terminal terminal)
    {
        if (EarlyStopPlan.Supported(sweep))
        {
            var search = await attachment.CancelSearchAsync(EarlyStopPlan.KeyOf(sweep));
            terminal.Output.WriteLine(search switch
            {
                { Started: false } => $"sweep {sweep.Name}: its search was never started on this cluster",
                { Cancelled: true } => $"sweep {sweep.Name}: search cancelled after {search.Decisions} decisions",
                _ => $"sweep {sweep.Name}: its search had already finished",
            });
        }
        var cancelled = await attachment.CancelAsync(sweep.Runs);
        foreach (var (run, status) in cancelled)
            terminal.Output.WriteLine($"cancel: {run.Key} ({status.State.ToString().ToLowerInvariant()})");
        terminal.Output.WriteLine($"sweep {sweep.Name}: cancel asked of {cancelled.Count} queued or running runs of {sweep.Runs.Count}");
        return ExitCodes.Success;
    }

    /// <summary>Loads the sweep file, connects to the cluster and runs <paramref name="action"/> with the results
    /// folder (when <paramref name="resultsRoot"/> is given) or null. Problems are thrown as <see cref="GfeException"/>.</summary>
    static async Task<int> AttachAsync(
        string sweepFile, string dataDirectory, string? cluster, double timeoutSeconds, string? resultsRoot, Terminal terminal, CancellationToken cancel,
        Func<SweepFile, SweepAttachment, string?, Task<int>> action)
    {
        var sweep = SweepFileParser.Load(sweepFile, dataDirectory);
        var address = ClusterArguments.Resolve(cluster) ?? throw GfeException.InvalidInput(
            $"--cluster (or ${ClusterConnection.EnvironmentVariable}) is required: only a cluster keeps runs after their gfe process ends");

        string? resultsDirectory = resultsRoot is null ? null : Path.GetFullPath(Path.Combine(resultsRoot, sweep.Name));
        string logFile;
        try
        {
            // With a results folder the log goes there, as for 'gfe sweep run'; otherwise into the user's own
            // state folder, never a shared temp directory that other users can read.
            logFile = resultsDirectory is null
                ? Path.Combine(StatePaths.Create(), $"{sweep.Name}.log")
                : Path.Combine(Directory.CreateDirectory(resultsDirectory).FullName, "gfe.log");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw GfeException.Unavailable($"cannot create the folder for gfe's log: {e.Message}", e);
        }

        using var host = await ClusterArguments.ConnectAsync(address, logFile, timeoutSeconds, cancel);
        try
        {
            return await action(sweep, new SweepAttachment(host.Services.GetRequiredService<IGrainFactory>()), resultsDirectory);
        }
        catch (Exception e) when (e is TimeoutException or Orleans.Runtime.OrleansException)
        {
            throw GfeException.Unavailable($"the cluster at {address} did not answer: {e.Message}", e);
        }
        finally
        {
            using var timeout = new CancellationTokenSource(ShutdownTimeout);
            try { await host.StopAsync(timeout.Token); }
            catch (OperationCanceledException) { /* the process ends regardless */ }
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
        if (SweepRunCommand.WriteResults(resultsDirectory, sweep, outcome) is { } notWritten) throw notWritten;
        int completed = outcome.Runs.Count(r => r.Status.State == RunState.Completed);
        int notSubmitted = outcome.Runs.Count(r => r.Status.State == RunState.NotStarted);
        terminal.Output.WriteLine($"{completed}/{outcome.Runs.Count} runs completed" +
            (notSubmitted > 0 ? $", {notSubmitted} never submitted (gfe sweep run submits them)" : "") + $"; results in {resultsDirectory}");
        return outcome.ExitCode;
    }
}
