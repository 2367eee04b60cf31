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
    static SweepPlan Plan(EarlyStopRule rule, int reduction, double[] learningRates)
    {
        int sweep = Interlocked.Add(ref nextSeed, 100);
        var rungs = EarlyStopper.RungImages(rule, 25, reduction, TrainSize).ToList();
        var trials = learningRates.Select((lr, i) => new SweepTrial(
            $"lr={lr}",
            [Spec(Settings(lr, sweep + 2 * i, 0.1)), Spec(Settings(lr, sweep + 2 * i + 1, 0.1))],
            rungs)).ToList();
        return new SweepPlan($"sweep-{sweep}", rule.ToString(), Evaluations.Simulate, reduction, trials, TrialsAtOnce: 1);
    }

    static readonly double[] LearningRates = [1e-4, 3e-3, 1e-2, 1e-3, 3e-2, 3e-4];

    /// <summary>The rule replayed without a cluster, one trial at a time as the grain runs them: the rung each
    /// trial reaches.</summary>
    static Dictionary<string, int> Expected(SweepPlan plan)
    {
        var stopper = new EarlyStopper(Enum.Parse<EarlyStopRule>(plan.Rule), plan.Reduction);
        var reached = new Dictionary<string, int>();
        var byName = plan.Trials.ToDictionary(t => t.Name);
        int next = 0, last = plan.Trials.Max(t => t.Rungs.Count);
        while (true)
        {
            (SweepTrial Trial, int Rung) job;
            if (stopper.NextPromotion(last) is { } promotion)
            {
                if (promotion.FromRung >= byName[promotion.Configuration].Rungs.Count) continue;
                job = (byName[promotion.Configuration], promotion.FromRung + 1);
            }
            else if (next < plan.Trials.Count) job = (plan.Trials[next++], 1);
            else break;
            long images = job.Trial.Rungs[job.Rung - 1];
            double metric = job.Trial.Replicates.Average(r => SimulatedObjective.LossAt(RunParameters.FromDictionary(r.Settings), images));
            stopper.Record(job.Trial.Name, job.Rung, metric);
            reached[job.Trial.Name] = job.Rung;
        }
        return reached;
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
            int rung = reached[trial.Name];
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
}
