using Gfe.Abstractions;
using Gfe.Engine.Runs;
using Xunit;

namespace Gfe.Tests.Grains;

[Collection(RunnerClusterCollection.Name)]
public sealed class RunGrainTests(RunnerCluster cluster)
{
    [Fact]
    public async Task Start_returns_before_the_run_trains_and_the_run_completes_with_its_outcome()
    {
        var spec = SimulatedRuns.Spec(seconds: 1.0);
        var run = cluster.Client.Grain(spec);

        Assert.Equal(RunState.NotStarted, (await run.GetStatus()).State);
        await run.Start(spec);
        var accepted = await run.GetStatus();
        Assert.Contains(accepted.State, new[] { RunState.Queued, RunState.Running });

        var done = await SimulatedRuns.Finished(run);
        Assert.Equal(RunState.Completed, done.State);
        Assert.Null(done.Error);
        Assert.NotNull(done.Silo);
        Assert.NotNull(done.StartedUtc);
        Assert.True(done.FinishedUtc >= done.StartedUtc);
        Assert.Equal(1.0, done.Progress);
        var outcome = Assert.IsType<RunOutcome>(done.Outcome);
        // The simulation's loss for this config at the end of training (Gfe.Engine.Runs.SimulatedObjective).
        var expected = SimulatedObjective.LossAt(RunParameters.FromDictionary(spec.Settings), SimulatedRuns.TrainSize);
        Assert.Equal(expected, outcome.TestLoss[Evaluations.Simulate], 12);
        Assert.Equal(SimulatedRuns.TrainSize, outcome.ImagesSeen);
        Assert.Equal(SimulatedRuns.TrainSize, done.ImagesSeen);
        Assert.Equal("simulated", outcome.DataProvenance);
        Assert.Single(outcome.Curve);
    }

    [Fact]
    public async Task Starting_a_run_again_while_it_trains_or_after_it_completed_does_not_train_it_again()
    {
        var spec = SimulatedRuns.Spec(seconds: 0.4);
        var run = cluster.Client.Grain(spec);
        var executionsBefore = cluster.JobSlots.Granted;

        await run.Start(spec);
        await run.Start(spec);
        var first = await SimulatedRuns.Finished(run);
        await run.Start(spec);
        var second = await run.GetStatus();

        Assert.Equal(RunState.Completed, first.State);
        Assert.Equal(RunState.Completed, second.State);
        Assert.Equal(first.StartedUtc, second.StartedUtc);
        Assert.Equal(first.FinishedUtc, second.FinishedUtc);
        Assert.Equal(1, cluster.JobSlots.Granted - executionsBefore);
    }

    [Fact]
    public async Task Status_answers_while_the_run_trains_and_shows_its_progress()
    {
        var spec = SimulatedRuns.Spec(seconds: 1.5);
        var run = cluster.Client.Grain(spec);
        await run.Start(spec);

        var seen = new List<RunStatus>();
        RunStatus status;
        do
        {
            status = await run.GetStatus();
            seen.Add(status);
            await Task.Delay(20);
        } while (!status.IsFinished);

        Assert.Equal(RunState.Completed, status.State);
        var midway = seen.Where(s => s.State == RunState.Running && s.Progress is > 0 and < 1).ToList();
        Assert.NotEmpty(midway);
        Assert.All(midway, s => Assert.Equal("train", s.Phase));
        Assert.All(midway, s => Assert.InRange(s.ImagesSeen, 1, SimulatedRuns.TrainSize - 1));
        // Progress never goes backwards.
        var fractions = seen.Select(s => s.Progress).ToList();
        Assert.Equal(fractions.Order(), fractions);
    }

    [Fact]
    public async Task A_failing_run_is_recorded_as_failed_with_its_reason_and_other_runs_still_complete()
    {
        var failing = SimulatedRuns.Spec(seconds: 0.4, fail: true);
        var healthy = new[] { SimulatedRuns.Spec(seconds: 0.4), SimulatedRuns.Spec(seconds: 0.4) };
        foreach (var spec in healthy.Prepend(failing))
            await cluster.Client.Grain(spec).Start(spec);

        var failed = await SimulatedRuns.Finished(cluster.Client.Grain(failing));
        Assert.Equal(RunState.Failed, failed.State);
        Assert.Equal("simulated failure", failed.Error);
        Assert.Null(failed.Outcome);
        Assert.NotNull(failed.FinishedUtc);
        foreach (var spec in healthy)
        {
            var done = await SimulatedRuns.Finished(cluster.Client.Grain(spec));
            Assert.Equal(RunState.Completed, done.State);
            Assert.NotNull(done.Outcome);
        }
    }

    [Fact]
    public async Task A_failed_run_is_trained_again_when_started_again()
    {
        var spec = SimulatedRuns.Spec(seconds: 0.2, fail: true);
        var run = cluster.Client.Grain(spec);
        var executionsBefore = cluster.JobSlots.Granted;

        await run.Start(spec);
        var first = await SimulatedRuns.Finished(run);
        await run.Start(spec);
        var second = await SimulatedRuns.Finished(run);

        Assert.Equal(RunState.Failed, first.State);
        Assert.Equal(RunState.Failed, second.State);
        Assert.True(second.StartedUtc > first.StartedUtc);
        Assert.Equal(2, cluster.JobSlots.Granted - executionsBefore);
    }

    [Fact]
    public async Task A_run_whose_activation_goes_away_mid_run_is_trained_again_by_its_next_activation()
    {
        var spec = SimulatedRuns.Spec(seconds: 1.0);
        var run = cluster.Client.Grain(spec);
        var executionsBefore = cluster.JobSlots.Granted;
        await run.Start(spec);
        await SimulatedRuns.Running(run);

        await cluster.Deactivate(run);
        var done = await SimulatedRuns.Finished(run);

        Assert.Equal(RunState.Completed, done.State);
        Assert.Equal(2, cluster.JobSlots.Granted - executionsBefore);
        // The interrupted execution gave its slot back.
        Assert.Equal(0, cluster.JobSlots.InUse);
    }

    [Fact]
    public async Task A_cancelled_run_is_recorded_as_cancelled_and_trained_again_when_started_again()
    {
        var spec = SimulatedRuns.Spec(seconds: 4);
        var run = cluster.Client.Grain(spec);
        var executionsBefore = cluster.JobSlots.Granted;

        await run.Start(spec);
        await SimulatedRuns.Running(run);
        await run.Cancel();
        var cancelled = await SimulatedRuns.Finished(run);
        await run.Start(spec);
        var again = await SimulatedRuns.Running(run);
        await run.Cancel();
        await SimulatedRuns.Finished(run);

        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.Equal("cancelled", cancelled.Error);
        Assert.Null(cancelled.Outcome);
        Assert.True(cancelled.Progress < 1);
        Assert.True(again.StartedUtc > cancelled.StartedUtc);
        Assert.Equal(2, cluster.JobSlots.Granted - executionsBefore);
        Assert.Equal(0, cluster.JobSlots.InUse);
    }

    [Fact]
    public async Task A_queued_run_cancelled_before_it_got_a_slot_never_trains()
    {
        var specs = Enumerable.Range(0, RunnerCluster.Slots + 1).Select(_ => SimulatedRuns.Spec(seconds: 4)).ToList();
        var runs = specs.Select(cluster.Client.Grain).ToList();
        var executionsBefore = cluster.JobSlots.Granted;
        foreach (var (run, spec) in runs.Zip(specs))
            await run.Start(spec);
        foreach (var run in runs.Take(RunnerCluster.Slots))
            await SimulatedRuns.Running(run);

        var queued = runs[^1];
        Assert.Equal(RunState.Queued, (await queued.GetStatus()).State);
        await queued.Cancel();
        var cancelled = await SimulatedRuns.Finished(queued);
        foreach (var run in runs) await run.Cancel();
        foreach (var run in runs) await SimulatedRuns.Finished(run);

        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.Null(cancelled.StartedUtc);
        Assert.Equal(RunnerCluster.Slots, cluster.JobSlots.Granted - executionsBefore);
        Assert.Equal(0, cluster.JobSlots.InUse);
    }

    [Fact]
    public async Task Cancelling_a_completed_run_leaves_it_completed()
    {
        var spec = SimulatedRuns.Spec(seconds: 0.2);
        var run = cluster.Client.Grain(spec);
        await run.Start(spec);
        var done = await SimulatedRuns.Finished(run);

        await run.Cancel();
        var after = await run.GetStatus();

        Assert.Equal(RunState.Completed, done.State);
        Assert.Equal(RunState.Completed, after.State);
        Assert.Equal(done.FinishedUtc, after.FinishedUtc);
        Assert.Null(after.Error);
        Assert.NotNull(after.Outcome);
    }

    [Fact]
    public async Task A_silo_never_trains_more_runs_at_once_than_it_has_slots_and_trains_them_all()
    {
        var specs = Enumerable.Range(0, 6).Select(_ => SimulatedRuns.Spec(seconds: 0.4)).ToList();
        var runs = specs.Select(cluster.Client.Grain).ToList();
        await Task.WhenAll(runs.Zip(specs, (run, spec) => run.Start(spec)));

        int mostRunning = 0;
        RunStatus[] statuses;
        do
        {
            statuses = await Task.WhenAll(runs.Select(r => r.GetStatus()));
            mostRunning = Math.Max(mostRunning, statuses.Count(s => s.State == RunState.Running));
            Assert.InRange(cluster.JobSlots.InUse, 0, RunnerCluster.Slots);
            await Task.Delay(20);
        } while (!statuses.All(s => s.IsFinished));

        Assert.All(statuses, s => Assert.Equal(RunState.Completed, s.State));
        Assert.InRange(mostRunning, 1, RunnerCluster.Slots);
        // Only as many runs as there are slots can start before the first one finishes; the rest waited.
        var firstFinish = statuses.Min(s => s.FinishedUtc!.Value);
        Assert.InRange(statuses.Count(s => s.StartedUtc >= firstFinish), specs.Count - RunnerCluster.Slots, specs.Count - 1);
        // Each run's [started, finished] lies inside the time it held its slot, so no instant may be covered by
        // more intervals than there are slots; on ties an end comes before a start.
        var edges = statuses
            .SelectMany(s => new[] { (Time: s.StartedUtc!.Value, Step: +1), (Time: s.FinishedUtc!.Value, Step: -1) })
            .OrderBy(e => e.Time).ThenBy(e => e.Step);
        int overlap = 0, mostOverlap = 0;
        foreach (var edge in edges) mostOverlap = Math.Max(mostOverlap, overlap += edge.Step);
        Assert.InRange(mostOverlap, 1, RunnerCluster.Slots);
        Assert.Equal(0, cluster.JobSlots.InUse);
    }

    [Fact]
    public async Task A_spec_with_an_unknown_setting_is_recorded_as_failed_naming_the_setting()
    {
        var spec = new RunSpec("simulate.mnist.n100.s1.colour", new Dictionary<string, string>
        {
            ["method"] = "simulate",
            ["colour"] = "red",
        });
        var run = cluster.Client.Grain(spec);
        var executionsBefore = cluster.JobSlots.Granted;

        await run.Start(spec);
        var status = await run.GetStatus();

        Assert.Equal(RunState.Failed, status.State);
        Assert.Contains("unknown setting 'colour'", status.Error);
        Assert.Equal(executionsBefore, cluster.JobSlots.Granted);
    }

    [Fact]
    public async Task A_spec_with_a_bad_value_is_recorded_as_failed_naming_the_setting()
    {
        var spec = new RunSpec("simulate.mnist.n-1", new Dictionary<string, string>
        {
            ["method"] = "simulate",
            ["trainSize"] = "-1",
        });
        var run = cluster.Client.Grain(spec);

        await run.Start(spec);
        var status = await run.GetStatus();

        Assert.Equal(RunState.Failed, status.State);
        Assert.Contains("'trainSize' must be at least 0", status.Error);
    }

    [Fact]
    public async Task A_spec_whose_key_does_not_match_its_settings_is_recorded_as_failed()
    {
        var good = SimulatedRuns.Spec(seconds: 0.2);
        var spec = good with { Key = good.Key + "-edited" };
        var run = cluster.Client.Grain(spec);

        await run.Start(spec);
        var status = await run.GetStatus();

        Assert.Equal(RunState.Failed, status.State);
        Assert.Contains("does not match its settings", status.Error);
        Assert.Contains(good.Key, status.Error);
    }

    [Fact]
    public async Task A_spec_sent_to_the_grain_of_another_run_is_recorded_as_failed_there()
    {
        var spec = SimulatedRuns.Spec(seconds: 0.2);
        var other = SimulatedRuns.Spec(seconds: 0.2);
        var run = cluster.Client.Grain(other);

        await run.Start(spec);
        var status = await run.GetStatus();

        Assert.Equal(RunState.Failed, status.State);
        Assert.Contains($"sent to run '{other.Key}'", status.Error);
        Assert.Equal(RunState.NotStarted, (await cluster.Client.Grain(spec).GetStatus()).State);
    }
}
