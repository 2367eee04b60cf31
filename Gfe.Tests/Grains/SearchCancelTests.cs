using Gfe.Abstractions;
using Gfe.Client.Commands;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Xunit;

namespace Gfe.Tests.Grains;

/// <summary>
/// <c>gfe sweep cancel</c> on a sweep with earlyStop, on the in-process cluster, as <c>gfe sweep run</c> drives it:
/// the search starts and promotes nothing more, its runs in flight end cancelled, the waiting <c>sweep run</c> ends
/// saying so; running the file again reports the cancellation, and <c>--restart</c> searches afresh.
/// </summary>
[Collection(RunnerClusterCollection.Name)]
public sealed class SearchCancelTests(RunnerCluster cluster)
{
    // Replicate seeds of its own: runs are keyed by their settings, and the cluster is shared.
    const string Sweep = """
        name: cancel-search
        search: {method: random, trials: 3, seed: 5}
        replicates: [7101, 7102]
        grid:
          method: [simulate]
          lr: {loguniform: [1e-4, 1e-1]}
        earlyStop: {rule: asha, metric: simulate, rungs: 25, reduction: 2}
        settings:
          trainSize: 100
          evalEvery: 25
          simulateSeconds: 6
        """;

    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task Cancelling_stops_the_search_and_a_later_run_reports_it_until_restarted()
    {
        var sweep = SweepFileParser.Parse(Sweep, "cancel-search.yaml");
        var plan = EarlyStopPlan.For(sweep, trialsAtOnce: 1);
        var running = new SweepRunner(cluster.Client, Poll) { EarlyStop = plan }.RunAsync(sweep.Runs, null, CancellationToken.None);
        var search = cluster.Client.GetGrain<ISweepGrain>(plan.Key);
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        // Cancel once the first trial was decided and the second one's runs train (1.5 s to their first rung).
        while (!((await search.GetStatus()).Decisions >= 1 && await AnyRunning(sweep)))
        {
            Assert.True(DateTime.UtcNow < limit, "the search did not get going");
            await Task.Delay(20);
        }

        var console = new StringWriter();
        int code = await SweepAttachCommands.CancelAsync(sweep, new SweepAttachment(cluster.Client), Terminal.Plain(console, console));
        var outcome = await running.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(1500);
        var afterwards = await new SweepAttachment(cluster.Client).PollAsync(sweep.Runs, TimeSpan.Zero);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("sweep cancel-search: search cancelled after", console.ToString());
        Assert.True(outcome.SearchCancelled);
        Assert.Equal(ExitCodes.RunsFailed, outcome.ExitCode);
        var states = outcome.Runs.Select(r => r.Status.State).ToList();
        Assert.Contains(RunState.Cancelled, states);
        Assert.Contains(RunState.NotStarted, states);
        Assert.All(outcome.Runs.Where(r => r.Status.State == RunState.NotStarted),
            r => Assert.Equal("not started: the search was cancelled", r.Status.Error));
        // Nothing started after the cancel: the runs never started stay so.
        Assert.Equal(states.Count(s => s == RunState.NotStarted), afterwards.Runs.Count(r => r.Status.State == RunState.NotStarted));
        Assert.DoesNotContain(afterwards.Runs, r => r.Status.State is RunState.Queued or RunState.Running);
        // gfe sweep status tells the search's own state too.
        var status = new StringWriter();
        await SweepAttachCommands.ShowStatusAsync(sweep, new SweepAttachment(cluster.Client), Terminal.Plain(status, status));
        var searchLine = Assert.Single(status.ToString().Split('\n'), l => l.StartsWith("search: ", StringComparison.Ordinal));
        Assert.Matches(@"^search: cancelled; [1-9][0-9]* decisions; trials: .*; [0-9,]+ training images committed", searchLine);

        // The same sweep again: it ends at once, cancelled, and trains nothing.
        long granted = cluster.JobSlots.Granted;
        var again = await new SweepRunner(cluster.Client, Poll) { EarlyStop = plan }.RunAsync(sweep.Runs, null, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(again.SearchCancelled);
        Assert.Equal(granted, cluster.JobSlots.Granted);

        // With --restart: the search runs to its end.
        var restarted = await new SweepRunner(cluster.Client, Poll) { EarlyStop = plan, RestartSearch = true }.RunAsync(sweep.Runs, null, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(90));
        Assert.False(restarted.SearchCancelled);
        Assert.Equal(ExitCodes.Success, restarted.ExitCode);
        Assert.All(restarted.Runs, r => Assert.True(r.Status.State is RunState.Completed or RunState.Stopped, $"{r.Run.Key} is {r.Status.State}"));
    }

    async Task<bool> AnyRunning(SweepFile sweep) =>
        (await new SweepAttachment(cluster.Client).PollAsync(sweep.Runs, TimeSpan.Zero)).Runs.Any(r => r.Status.State == RunState.Running);
}
