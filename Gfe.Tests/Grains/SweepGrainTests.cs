using System.Globalization;
using Gfe.Abstractions;
using Gfe.Engine.Checkpoints;
using Gfe.Engine.Runs;
using Gfe.Engine.Search;
using Gfe.Grains;
using Orleans;
using Xunit;

namespace Gfe.Tests.Grains;

/// <summary>
/// Early stopping in the cluster: a sweep grain trains simulated trials rung by rung and stops the ones
/// <see cref="EarlyStopper"/> does not promote; the result is compared with the same rule replayed on the same
/// (known) simulated curves. One trial at a time, so that the order of decisions, and so the decisions, are fixed.
/// </summary>
[Collection(RunnerClusterCollection.Name)]
public sealed class SweepGrainTests(RunnerCluster cluster)
{
    // Seeds of their own: grain state outlives a test in the shared cluster.
    static int nextSeed = 9000;

    const int TrainSize = 100;

    static Dictionary<string, string> Settings(double lr, int seed, double seconds) => new()
    {
        ["method"] = "simulate",
        ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
        ["trainSize"] = TrainSize.ToString(CultureInfo.InvariantCulture),
        ["simulateSeconds"] = seconds.ToString("R", CultureInfo.InvariantCulture),
        ["lr"] = lr.ToString("R", CultureInfo.InvariantCulture),
    };

    static RunSpec Spec(Dictionary<string, string> settings) => new(RunKey.For(RunParameters.FromDictionary(settings)), settings);

    /// <summary>Trials over learning rates (in an order that is not best first), two replicate seeds each, rungs of
    /// the rule for a first rung of 25 of 100 images.</summary>
    static SweepPlan Plan(EarlyStopRule rule, int reduction, double[] learningRates, double seconds = 0.1)
    {
        int sweep = Interlocked.Add(ref nextSeed, 100);
        var rungs = EarlyStopper.RungImages(rule, 25, reduction, TrainSize).ToList();
        var trials = learningRates.Select((lr, i) => new SweepTrial(
            $"lr={lr}",
            [Spec(Settings(lr, sweep + 2 * i, seconds)), Spec(Settings(lr, sweep + 2 * i + 1, seconds))],
            rungs)).ToList();
        return new SweepPlan($"sweep-{sweep}", rule.ToString(), Evaluations.Simulate, reduction, trials, TrialsAtOnce: 1);
    }

    static readonly double[] LearningRates = [1e-4, 3e-3, 1e-2, 1e-3, 3e-2, 3e-4];

    /// <summary>The rule replayed without a cluster, one trial at a time as the grain runs them: the rung each
    /// trial reaches.</summary>
    static Dictionary<string, int> Expected(SweepPlan plan) => Expected(plan, long.MaxValue).Reached;

    /// <summary>The same, with a budget of training images: before each start or promotion, its replicates' images to
    /// the rung are paid; the first that does not fit ends the scheduling. Also the images paid.</summary>
    static (Dictionary<string, int> Reached, long Paid) Expected(SweepPlan plan, long maxTrainImages)
    {
        var stopper = new EarlyStopper(Enum.Parse<EarlyStopRule>(plan.Rule), plan.Reduction);
        var reached = new Dictionary<string, int>();
        var byName = plan.Trials.ToDictionary(t => t.Name);
        int next = 0, last = plan.Trials.Max(t => t.Rungs.Count);
        long paid = 0;
        while (true)
        {
            (SweepTrial Trial, int Rung) job;
            if (stopper.PeekPromotion(last) is { } promotion)
            {
                if (promotion.FromRung >= byName[promotion.Configuration].Rungs.Count)
                {
                    stopper.NextPromotion(last);
                    continue;
                }
                job = (byName[promotion.Configuration], promotion.FromRung + 1);
            }
            else if (next < plan.Trials.Count) job = (plan.Trials[next], 1);
            else break;
            var rungs = job.Trial.Rungs;
            long cost = (rungs[job.Rung - 1] - (job.Rung > 1 ? rungs[job.Rung - 2] : 0)) * job.Trial.Replicates.Count;
            if (paid + cost > maxTrainImages) break;
            paid += cost;
            if (job.Rung == 1) next++;
            else stopper.NextPromotion(last);
            long images = job.Trial.Rungs[job.Rung - 1];
            double metric = job.Trial.Replicates.Average(r => SimulatedObjective.LossAt(RunParameters.FromDictionary(r.Settings), images));
            stopper.Record(job.Trial.Name, job.Rung, metric);
            reached[job.Trial.Name] = job.Rung;
        }
        return (reached, paid);
    }

    async Task<SweepStatus> Done(ISweepGrain sweep)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var status = await sweep.GetStatus();
            if (status.Done) return status;
            if (DateTime.UtcNow > limit) throw new TimeoutException($"the sweep is not done after 90 s ({status.Decisions} decisions)");
            await Task.Delay(50);
        }
    }

    async Task AssertRunsEndedAtTheirRungs(SweepPlan plan, Dictionary<string, int> reached)
    {
        foreach (var trial in plan.Trials)
        {
            if (!reached.TryGetValue(trial.Name, out int rung))
            {
                // Never started (the budget): its runs were never submitted.
                foreach (var spec in trial.Replicates)
                    Assert.Equal(RunState.NotStarted, (await cluster.Client.GetGrain<IRunGrain>(spec.Key).GetStatus()).State);
                continue;
            }
            foreach (var spec in trial.Replicates)
            {
                var status = await cluster.Client.GetGrain<IRunGrain>(spec.Key).GetStatus();
                var expectedState = rung == trial.Rungs.Count ? RunState.Completed : RunState.Stopped;
                Assert.Equal(expectedState, status.State);
                Assert.Equal(trial.Rungs[rung - 1], status.Outcome!.ImagesSeen);
                // Its evaluation curve runs to the rung it reached.
                Assert.Equal(SimulatedObjective.LossAt(RunParameters.FromDictionary(spec.Settings), trial.Rungs[rung - 1]),
                    status.Outcome.TestLoss[Evaluations.Simulate]);
            }
        }
    }

    [Theory]
    [InlineData(EarlyStopRule.Asha, 2)]
    [InlineData(EarlyStopRule.Median, 2)]
    public async Task A_sweep_stops_the_runs_the_rule_stops_on_the_same_curves(EarlyStopRule rule, int reduction)
    {
        var plan = Plan(rule, reduction, LearningRates);
        var expected = Expected(plan);
        var sweep = cluster.Client.GetGrain<ISweepGrain>(plan.Key);
        long granted = cluster.JobSlots.Granted;

        await sweep.Start(plan);
        var done = await Done(sweep);

        Assert.Equal(expected.OrderBy(kv => kv.Key), done.ReachedRung.OrderBy(kv => kv.Key));
        // The example is one where the rule stops some trials and lets one finish.
        Assert.Contains(expected.Values, rung => rung < plan.Trials[0].Rungs.Count);
        Assert.Contains(expected.Values, rung => rung == plan.Trials[0].Rungs.Count);
        await AssertRunsEndedAtTheirRungs(plan, expected);
        // Every replicate trained each segment it reached once: stopped runs were continued, never retrained.
        Assert.Equal(expected.Values.Sum() * 2, cluster.JobSlots.Granted - granted);
    }

    [Fact]
    public async Task Attaching_again_continues_the_sweep_without_retraining_or_deciding_again()
    {
        var plan = Plan(EarlyStopRule.Asha, 2, LearningRates);
        var expected = Expected(plan);
        var sweep = cluster.Client.GetGrain<ISweepGrain>(plan.Key);
        long granted = cluster.JobSlots.Granted;

        await sweep.Start(plan);
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await sweep.GetStatus()).Decisions < 3 && DateTime.UtcNow < limit) await Task.Delay(20);
        // The client detaches and the grain goes away (as on a silo restart); running the sweep again attaches.
        await cluster.Deactivate(sweep);
        await sweep.Start(plan);
        var done = await Done(sweep);
        long trainedOnce = cluster.JobSlots.Granted - granted;
        await sweep.Start(plan);
        await Task.Delay(500);
        var again = await sweep.GetStatus();

        Assert.Equal(expected.OrderBy(kv => kv.Key), done.ReachedRung.OrderBy(kv => kv.Key));
        Assert.Equal(expected.Values.Sum() * 2, trainedOnce);
        Assert.True(again.Done);
        Assert.Equal(done.Decisions, again.Decisions);
        Assert.Equal(trainedOnce, cluster.JobSlots.Granted - granted);
        await AssertRunsEndedAtTheirRungs(plan, expected);
    }

    [Fact]
    public async Task A_promoted_run_continues_from_its_checkpoint_at_the_rung_it_stopped()
    {
        var spec = Spec(Settings(1e-3, Interlocked.Add(ref nextSeed, 100), seconds: 2));
        var run = cluster.Client.GetGrain<IRunGrain>(spec.Key);
        var store = new DirectoryCheckpointStore(cluster.CheckpointDirectory);

        await run.Start(spec with { StopAtImages = 30 });
        var stopped = await SimulatedRuns.Finished(run);
        var checkpoint = store.Latest(spec.Key);
        long granted = cluster.JobSlots.Granted;
        await run.Start(spec with { StopAtImages = 30 });
        bool stoppedAgainIsDone = (await run.GetStatus()).State == RunState.Stopped && cluster.JobSlots.Granted == granted;

        await run.Start(spec with { StopAtImages = 100 });
        var seen = new List<long>();
        RunStatus status;
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(status = await run.GetStatus()).IsFinished && DateTime.UtcNow < limit)
        {
            if (status.State == RunState.Running) seen.Add(status.ImagesSeen);
            await Task.Delay(10);
        }

        Assert.True(stopped.State == RunState.Stopped, $"{stopped.State}: {stopped.Error}");
        Assert.Equal(30, stopped.Outcome!.ImagesSeen);
        Assert.Equal(30, checkpoint?.ImagesSeen);
        Assert.True(stoppedAgainIsDone, "asking for the same stop again trained the run again");
        Assert.Equal(RunState.Completed, status.State);
        Assert.Equal(100, status.Outcome!.ImagesSeen);
        // Its images seen went on from 30 (a restart would have shown 10 and 20), over the 0.2 s ticks of 2 s.
        Assert.NotEmpty(seen);
        Assert.All(seen, images => Assert.True(images >= 30, $"the continuation restarted: {images} images seen"));
        Assert.Contains(seen, images => images > 30);
    }
    [Fact]
    public async Task A_budget_of_training_images_pays_starts_and_promotions_and_stops_scheduling_when_reached()
    {
        var plan = Plan(EarlyStopRule.Asha, 2, LearningRates);
        // Rungs 25, 50, 100 images; each start or promotion pays its two replicates' segment (50, 50 or 100 images).
        // A full search pays 100 x 6 starts plus its promotions; 450 runs out in the middle.
        const long Budget = 450;
        plan = plan with { MaxTrainImages = Budget };
        var (expected, paid) = Expected(plan, Budget);
        var unlimited = Expected(plan, long.MaxValue);
        var sweep = cluster.Client.GetGrain<ISweepGrain>(plan.Key);
        long granted = cluster.JobSlots.Granted;

        await sweep.Start(plan);
        var done = await Done(sweep);

        // The hand replay stops early too, with some trials never started and some promotion not taken.
        Assert.True(unlimited.Paid > Budget, $"the full search pays {unlimited.Paid}, within the budget");
        Assert.True(expected.Count < plan.Trials.Count, "every trial started");
        Assert.Equal(expected.OrderBy(kv => kv.Key), done.ReachedRung.OrderBy(kv => kv.Key));
        Assert.Equal(paid, done.ImagesCommitted);
        Assert.True(done.ImagesCommitted <= Budget);
        Assert.Equal($"not started: budget.maxTrainImages ({Budget}) reached with {paid} images committed", done.BudgetReached);
        Assert.False(done.Cancelled);
        await AssertRunsEndedAtTheirRungs(plan, expected);
        // The images the runs actually trained (each run's images seen: its segments, promotions included) are the
        // images paid, and each segment took a slot once.
        var statuses = await Task.WhenAll(plan.Trials.SelectMany(t => t.Replicates).Select(r => cluster.Client.GetGrain<IRunGrain>(r.Key).GetStatus()));
        Assert.Equal(paid, statuses.Sum(s => s.Outcome?.ImagesSeen ?? 0));
        Assert.Equal(expected.Values.Sum() * 2, cluster.JobSlots.Granted - granted);
    }

    [Fact]
    public async Task A_budget_of_hours_already_spent_starts_nothing_and_says_why()
    {
        var plan = Plan(EarlyStopRule.Asha, 2, LearningRates) with { MaxHours = 1e-9 };
        var sweep = cluster.Client.GetGrain<ISweepGrain>(plan.Key);
        long granted = cluster.JobSlots.Granted;

        await sweep.Start(plan);
        var done = await Done(sweep);

        Assert.Equal("not started: budget.maxHours (1E-09 h) reached", done.BudgetReached);
        Assert.Empty(done.ReachedRung);
        Assert.Equal(0, done.ImagesCommitted);
        await AssertRunsEndedAtTheirRungs(plan, []);
        Assert.Equal(granted, cluster.JobSlots.Granted);
    }

    [Fact]
    public async Task A_cancelled_search_starts_and_promotes_nothing_more_and_cancels_its_runs_until_restarted()
    {
        // Runs of 4 s (1 s to the first rung), so that a trial is in flight when the cancel comes.
        var plan = Plan(EarlyStopRule.Asha, 2, LearningRates[..4], seconds: 4);
        var sweep = cluster.Client.GetGrain<ISweepGrain>(plan.Key);
        await sweep.Start(plan);
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await sweep.GetStatus()).Decisions < 1 && DateTime.UtcNow < limit) await Task.Delay(20);
        // The next trial's runs are under way.
        var inFlight = plan.Trials[1].Replicates.Select(r => cluster.Client.GetGrain<IRunGrain>(r.Key)).ToList();
        while ((await inFlight[0].GetStatus()).State != RunState.Running && DateTime.UtcNow < limit) await Task.Delay(20);

        var cancelled = await sweep.Cancel();
        long grantedAtCancel = cluster.JobSlots.Granted;
        await Task.Delay(2500);
        var after = await sweep.GetStatus();
        var inFlightStates = await Task.WhenAll(inFlight.Select(async g => (await g.GetStatus()).State));
        var laterTrials = await Task.WhenAll(plan.Trials.Skip(2).SelectMany(t => t.Replicates).Select(async r => (await cluster.Client.GetGrain<IRunGrain>(r.Key).GetStatus()).State));
        // Running the same sweep again attaches to the cancelled search: it stays cancelled.
        await sweep.Start(plan);
        await Task.Delay(500);
        var attachedAgain = await sweep.GetStatus();
        long grantedBeforeRestart = cluster.JobSlots.Granted;

        Assert.True(cancelled.Cancelled && cancelled.Done, "the search is not cancelled");
        Assert.Equal(cancelled.Decisions, after.Decisions);
        Assert.All(inFlightStates, state => Assert.Equal(RunState.Cancelled, state));
        Assert.All(laterTrials, state => Assert.Equal(RunState.NotStarted, state));
        Assert.Equal(grantedAtCancel, grantedBeforeRestart);
        Assert.True(attachedAgain.Cancelled);
        Assert.Equal(cancelled.Decisions, attachedAgain.Decisions);
        // Cancelling a cancelled (done) search changes nothing.
        Assert.Equal(cancelled.Decisions, (await sweep.Cancel()).Decisions);

        // Asked to restart, it searches afresh and ends as a search that was never cancelled; the first trial's runs,
        // stopped at their rung already, are not trained again.
        await sweep.Restart(plan);
        var done = await Done(sweep);
        var expected = Expected(plan);
        Assert.False(done.Cancelled);
        Assert.Equal(expected.OrderBy(kv => kv.Key), done.ReachedRung.OrderBy(kv => kv.Key));
        await AssertRunsEndedAtTheirRungs(plan, expected);
        Assert.Equal(expected.Values.Sum() * 2 - 2, cluster.JobSlots.Granted - grantedBeforeRestart);
    }
}
