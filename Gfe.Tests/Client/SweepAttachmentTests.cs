using Gfe.Abstractions;
using Gfe.Client.Commands;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Xunit;

namespace Gfe.Tests.Client;

/// <summary>Re-attaching to a sweep's runs (gfe sweep status|watch|results|cancel) asks the keyed grains and never
/// submits a run.</summary>
public sealed class SweepAttachmentTests
{
    static readonly TimeSpan Fast = TimeSpan.FromMilliseconds(1);

    static readonly SweepFile Sweep = SweepFileParser.Parse("name: s\ngrid:\n  method: [simulate]\n  seed: [0, 1, 2]\n", "s.yaml");

    /// <summary>The first two runs of the sweep submitted, the third never.</summary>
    static FakeRunGrains TwoSubmitted()
    {
        var grains = new FakeRunGrains();
        foreach (var run in Sweep.Runs.Take(2))
            grains.GetGrain<IRunGrain>(run.Key).Start(run.Spec);
        return grains;
    }

    [Fact]
    public async Task A_poll_reports_each_runs_grain_and_submits_nothing()
    {
        var grains = TwoSubmitted();

        var progress = await new SweepAttachment(grains, Fast).PollAsync(Sweep.Runs, TimeSpan.Zero);

        Assert.Equal(Sweep.Runs.Select(r => r.Key), progress.Runs.Select(r => r.Status.Key));
        Assert.Equal([RunState.Queued, RunState.Queued, RunState.NotStarted], progress.Runs.Select(r => r.Status.State));
        Assert.All(grains.Grains.Values, g => Assert.Equal(g.Spec is null ? 0 : 1, g.Starts));
        Assert.Null(progress.PollError);
    }

    [Fact]
    public async Task Watching_ends_when_every_submitted_run_has_finished_and_leaves_the_others_unsubmitted()
    {
        var grains = TwoSubmitted();
        grains.FailingSeeds.Add(1);
        var reports = new List<SweepProgress>();

        var outcome = await new SweepAttachment(grains, Fast).WatchAsync(Sweep.Runs, reports.Add, CancellationToken.None);

        Assert.False(outcome.Interrupted);
        Assert.Equal([RunState.Completed, RunState.Failed, RunState.NotStarted], outcome.Runs.Select(r => r.Status.State));
        Assert.Equal("simulated failure", outcome.Runs[1].Status.Error);
        Assert.Equal(ExitCodes.RunsFailed, outcome.ExitCode);
        Assert.Null(grains.Grains[Sweep.Runs[2].Key].Spec);
        Assert.Contains(reports, p => p.Running == 2);
    }

    [Fact]
    public async Task Watching_stops_when_cancelled_and_says_so()
    {
        var grains = TwoSubmitted();
        grains.NeverFinish = true;
        using var stop = new CancellationTokenSource();

        var outcome = await new SweepAttachment(grains, Fast).WatchAsync(Sweep.Runs, p => { if (p.Running == 2) stop.Cancel(); }, stop.Token);

        Assert.True(outcome.Interrupted);
        Assert.Equal(ExitCodes.Interrupted, outcome.ExitCode);
    }

    [Fact]
    public async Task Cancel_asks_only_the_queued_and_running_runs()
    {
        var grains = TwoSubmitted();
        var attachment = new SweepAttachment(grains, Fast);
        // Run 0 is polled through queued and running, so the cancel's own poll finds it completed; run 1 is queued.
        await attachment.PollAsync(Sweep.Runs.Take(1).ToList(), TimeSpan.Zero);
        await attachment.PollAsync(Sweep.Runs.Take(1).ToList(), TimeSpan.Zero);

        var asked = await attachment.CancelAsync(Sweep.Runs);

        Assert.Equal([Sweep.Runs[1].Key], asked.Select(r => r.Run.Key));
        Assert.Equal(0, grains.Grains[Sweep.Runs[0].Key].Cancels);
        Assert.Equal(1, grains.Grains[Sweep.Runs[1].Key].Cancels);
        Assert.Equal(0, grains.Grains[Sweep.Runs[2].Key].Cancels);
    }

    [Fact]
    public async Task The_attach_commands_need_a_cluster_and_say_so()
    {
        // A blank --cluster falls back to $GFE_CLUSTER, which must then be unset too.
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ClusterConnection.EnvironmentVariable)), "unset GFE_CLUSTER to run the tests");
        var path = Path.Combine(Path.GetTempPath(), $"gfe-attach-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "name: s\ngrid:\n  method: [simulate]\n  seed: [0]\n");
        try
        {
            foreach (var command in new[] { "status", "watch", "results", "cancel" })
            {
                var (output, error) = (new StringWriter(), new StringWriter());
                string[] args = ["sweep", command, path, "--cluster", " "];

                var code = await new GfeCommandLine(Terminal.Plain(output, error)).InvokeAsync(args, CancellationToken.None);

                Assert.Equal(ExitCodes.InvalidInput, code);
                Assert.Contains("--cluster", error.ToString());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
