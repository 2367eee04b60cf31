using System.Globalization;
using Gfe.Abstractions;

namespace Gfe.Client.Running;

/// <summary>
/// The progress of a sweep as plain lines, for logs and CI: a summary line whenever the counts change (at most every
/// few seconds, and at least every half minute so a long run shows it is alive) with the progress of the runs in
/// flight, and one line per run that fails.
/// </summary>
public sealed class PlainSweepView(TextWriter output)
{
    /// <summary>The sweep runner reports at least every second, so lines come at most about 5 s apart.</summary>
    static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(4);
    static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(30);

    /// <summary>Runs in flight named on a summary line; more would make the line unreadable.</summary>
    const int RunsShown = 4;

    readonly HashSet<string> reportedFailures = [];
    string? lastSummary;
    TimeSpan? lastWritten;

    public void Report(SweepProgress progress)
    {
        foreach (var (run, status) in progress.Runs)
        {
            if (status.State is RunState.Failed or RunState.Cancelled && reportedFailures.Add(run.Key))
                output.WriteLine($"{status.State.ToString().ToLowerInvariant()}: {run.Key}: {status.Error}");
        }
        var counts = $"{progress.Completed}/{progress.Running}/{progress.Queued}/{progress.Failed}";
        var since = lastWritten is { } last ? progress.Elapsed - last : TimeSpan.MaxValue;
        bool changed = counts != lastSummary;
        if (progress.AllFinished || (changed && since >= MinInterval) || since >= MaxInterval)
        {
            output.WriteLine(progress.Summary + InFlight(progress) + (progress.PollError is { } error ? $"; cluster: {error}" : ""));
            lastSummary = counts;
            lastWritten = progress.Elapsed;
        }
    }

    /// <summary>" | key train 45%, key test 10%" for the runs that are training, or nothing.</summary>
    static string InFlight(SweepProgress progress)
    {
        var running = progress.Runs.Where(r => r.Status.State == RunState.Running).ToList();
        if (running.Count == 0) return "";
        var shown = running.Take(RunsShown).Select(r => $"{r.Run.Key} {r.Status.Phase} {Math.Round(100 * r.Status.Progress).ToString(CultureInfo.InvariantCulture)}%");
        var more = running.Count > RunsShown ? $", +{running.Count - RunsShown} more" : "";
        return " | " + string.Join(", ", shown) + more;
    }
}
