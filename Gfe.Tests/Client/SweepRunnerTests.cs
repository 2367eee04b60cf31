using Gfe.Abstractions;
using Gfe.Client.Commands;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Xunit;

namespace Gfe.Tests.Client;

public sealed class SweepRunnerTests
{
    static readonly TimeSpan Fast = TimeSpan.FromMilliseconds(1);

    static SweepFile Sweep(string seeds = "[0, 1, 2]") =>
        SweepFileParser.Parse($"name: s\ngrid:\n  method: [simulate]\n  seed: {seeds}\n", "s.yaml");

    [Fact]
    public async Task EveryRunIsSubmittedToItsKeyedGrain_AndPolledToCompletion()
    {
        var sweep = Sweep();
        var grains = new FakeRunGrains();
        var reports = new List<SweepProgress>();

        var outcome = await new SweepRunner(grains, Fast).RunAsync(sweep.Runs, reports.Add, CancellationToken.None);

        Assert.Equal(ExitCodes.Success, outcome.ExitCode);
        Assert.False(outcome.Interrupted);
        Assert.Equal(sweep.Runs.Select(r => r.Key), outcome.Runs.Select(r => r.Status.Key));
        Assert.All(outcome.Runs, r => Assert.Equal(RunState.Completed, r.Status.State));
        Assert.All(sweep.Runs, run => Assert.Same(run.Spec, grains.Grains[run.Key].Spec));
        Assert.All(grains.Grains.Values, g => Assert.Equal(1, g.Starts));
        // Reports go from all queued, through running, to all done.
        Assert.Equal(3, reports[0].Queued);
        Assert.Contains(reports, p => p.Running == 3);
        Assert.Equal(3, reports[^1].Completed);
        Assert.True(reports[^1].AllFinished);
    }

    [Fact]
    public async Task AFailedRun_GivesExitCode1_AndKeepsItsError()
    {
        var grains = new FakeRunGrains();
        grains.FailingSeeds.Add(1);

        var outcome = await new SweepRunner(grains, Fast).RunAsync(Sweep().Runs, null, CancellationToken.None);

        Assert.Equal(ExitCodes.RunsFailed, outcome.ExitCode);
        var failed = Assert.Single(outcome.Runs, r => r.Status.State == RunState.Failed);
        Assert.Equal(1, failed.Run.Config.Seed);
        Assert.Equal("simulated failure", failed.Status.Error);
    }

    [Fact]
    public async Task Cancelling_StopsWaiting_AndKeepsTheLastStatuses()
    {
        var grains = new FakeRunGrains { NeverFinish = true };
        using var cancel = new CancellationTokenSource();
        void Report(SweepProgress progress)
        {
            if (progress.Running == 3) cancel.Cancel();
        }

        var outcome = await new SweepRunner(grains, Fast).RunAsync(Sweep().Runs, Report, cancel.Token);

        Assert.True(outcome.Interrupted);
        Assert.Equal(ExitCodes.Interrupted, outcome.ExitCode);
        Assert.All(outcome.Runs, r => Assert.Equal(RunState.Running, r.Status.State));
    }

    [Fact]
    public async Task AGrainThatLostItsState_IsSubmittedAgain()
    {
        var sweep = Sweep("[0]");
        var grains = new FakeRunGrains();
        bool forgotten = false;
        void Report(SweepProgress progress)
        {
            if (!forgotten && progress.Running == 1)
            {
                grains.Grains[sweep.Runs[0].Key].Forget();
                forgotten = true;
            }
        }

        var outcome = await new SweepRunner(grains, Fast).RunAsync(sweep.Runs, Report, CancellationToken.None);

        Assert.Equal(ExitCodes.Success, outcome.ExitCode);
        Assert.Equal(2, grains.Grains[sweep.Runs[0].Key].Starts);
    }

    [Fact]
    public async Task A_train_image_budget_stops_starting_runs_and_the_rest_are_not_failures()
    {
        // Three runs of 480 images each (simulate's default trainSize), a budget of 1000 images: two start.
        var grains = new FakeRunGrains();
        var runner = new SweepRunner(grains, Fast) { Budget = new SweepBudget(null, null, 1000) };

        var outcome = await runner.RunAsync(Sweep().Runs, null, CancellationToken.None);

        Assert.Equal(ExitCodes.Success, outcome.ExitCode);
        Assert.Equal(2, grains.Grains.Values.Count(g => g.Starts > 0));
        var skipped = Assert.Single(outcome.Runs, r => r.Status.State == RunState.NotStarted);
        Assert.Equal(2, skipped.Run.Config.Seed);
        Assert.Equal(BudgetGate.Phase, skipped.Status.Phase);
        Assert.Contains("budget.maxTrainImages (1000) reached", skipped.Status.Error);
    }

    [Fact]
    public async Task An_hour_budget_that_has_passed_starts_nothing()
    {
        var grains = new FakeRunGrains();
        var runner = new SweepRunner(grains, Fast) { Budget = new SweepBudget(null, 1e-12, null) };
        await Task.Delay(5);

        var outcome = await runner.RunAsync(Sweep().Runs, null, CancellationToken.None);

        Assert.All(grains.Grains.Values, g => Assert.Equal(0, g.Starts));
        Assert.All(outcome.Runs, r => Assert.Contains("budget.maxHours", r.Status.Error));
    }

    [Fact]
    public async Task When_the_hour_budget_passes_runs_still_waiting_in_the_queue_are_withdrawn()
    {
        // All three runs are submitted at once (within the budget); seeds 1 and 2 never get a slot. Before the fix
        // they stayed queued past maxHours, and the sweep went on starting them.
        var grains = new FakeRunGrains { QueuedSeeds = { 1, 2 } };
        var runner = new SweepRunner(grains, Fast) { Budget = new SweepBudget(null, 0.3 / 3600, null) };

        var outcome = await runner.RunAsync(Sweep().Runs, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExitCodes.Success, outcome.ExitCode);
        Assert.All(grains.Grains.Values, g => Assert.Equal(1, g.Starts));
        var done = Assert.Single(outcome.Runs, r => r.Status.State == RunState.Completed);
        Assert.Equal(0, done.Run.Config.Seed);
        Assert.False(grains.Grains[done.Run.Key].Withdrawn);
        var withdrawn = outcome.Runs.Where(r => r.Status.State == RunState.NotStarted).ToList();
        Assert.Equal([1, 2], withdrawn.Select(r => r.Run.Config.Seed).Order());
        Assert.All(withdrawn, r => Assert.Equal(BudgetGate.Phase, r.Status.Phase));
        Assert.All(withdrawn, r => Assert.Contains("budget.maxHours", r.Status.Error));
        Assert.All(withdrawn, r => Assert.True(grains.Grains[r.Run.Key].Withdrawn));
    }
}
