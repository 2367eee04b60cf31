using Gfe.Abstractions;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Xunit;

namespace Gfe.Tests.Client;

public sealed class PlainSweepViewTests
{
    static readonly SweepFile Sweep =
        SweepFileParser.Parse("grid:\n  method: [simulate]\n  seed: [0, 1]\n", "plain.yaml");

    static SweepProgress At(double seconds, params RunState[] states) => new(
        Sweep.Runs.Select((run, i) => new RunRecord(run, RunRecord.Unsubmitted(run.Key) with
        {
            State = states[i],
            Error = states[i] == RunState.Failed ? "boom" : null,
        })).ToList(),
        TimeSpan.FromSeconds(seconds),
        null);

    static string[] Lines(StringWriter output) =>
        output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void PrintsASummaryWhenCountsChange_AtMostEveryFewSeconds_AndEachFailureOnce()
    {
        var output = new StringWriter();
        var view = new PlainSweepView(output);

        view.Report(At(0, RunState.Queued, RunState.Queued));
        view.Report(At(1, RunState.Running, RunState.Queued));     // changed, but too soon
        view.Report(At(2, RunState.Running, RunState.Failed));     // failure: always said at once
        view.Report(At(3, RunState.Running, RunState.Failed));     // the same failure again
        view.Report(At(7, RunState.Running, RunState.Failed));     // changed since the last summary, 7 s later
        view.Report(At(8, RunState.Completed, RunState.Failed));   // all finished: final summary

        var lines = Lines(output);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("0/2 done, 0 running, 2 queued, 0 failed", lines[0]);
        Assert.StartsWith("failed: ", lines[1]);
        Assert.EndsWith(": boom", lines[1]);
        Assert.Contains(Sweep.Runs[1].Key, lines[1]);
        Assert.StartsWith("0/2 done, 1 running, 0 queued, 1 failed", lines[2]);
        Assert.StartsWith("1/2 done, 0 running, 0 queued, 1 failed", lines[3]);
    }
}
