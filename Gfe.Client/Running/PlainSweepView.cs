using Gfe.Abstractions;

namespace Gfe.Client.Running;

/// <summary>
/// The progress of a sweep as plain lines, for logs and CI: a summary line whenever the counts change (at most every
/// few seconds, and at least every minute so a long run shows it is alive), and one line per run that fails.
/// </summary>
public sealed class PlainSweepView(TextWriter output)
{
    static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(5);
    static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(60);

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
            output.WriteLine(progress.Summary + (progress.PollError is { } error ? $"; cluster: {error}" : ""));
            lastSummary = counts;
            lastWritten = progress.Elapsed;
        }
    }
}
