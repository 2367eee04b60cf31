using System.Globalization;
using Gfe.Abstractions;
using Gfe.Engine.Checkpoints;
using Gfe.Engine.Runs;
using Gfe.Grains;
using Orleans;
using Xunit;

namespace Gfe.Tests.Grains;

/// <summary>Run grains and the silo's checkpoint directory: checkpoints are saved under the run key while a run
/// trains, resumed by the next execution of the run, and removed once the outcome is stored.</summary>
[Collection(RunnerClusterCollection.Name)]
public sealed class RunCheckpointTests(RunnerCluster cluster)
{
    // Seeds of their own: grain state outlives a test in the shared cluster.
    static int nextSeed = 5000;

    static RunSpec Spec(double seconds, int checkpointEvery)
    {
        var settings = new Dictionary<string, string>
        {
            ["method"] = "simulate",
            ["seed"] = Interlocked.Increment(ref nextSeed).ToString(CultureInfo.InvariantCulture),
            ["trainSize"] = SimulatedRuns.TrainSize.ToString(CultureInfo.InvariantCulture),
            ["simulateSeconds"] = seconds.ToString("R", CultureInfo.InvariantCulture),
            ["checkpointEvery"] = checkpointEvery.ToString(CultureInfo.InvariantCulture),
        };
        return new RunSpec(RunKey.For(RunParameters.FromDictionary(settings)), settings);
    }

    /// <summary>A completed status shows before the record is saved and the checkpoint removed, so this waits a
    /// little for the removal; the limit only keeps a broken runner from hanging the suite.</summary>
    static async Task<bool> Removed(string path)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (File.Exists(path) && DateTime.UtcNow < limit)
            await Task.Delay(10);
        return !File.Exists(path);
    }

    string CheckpointFile(RunSpec spec) => new DirectoryCheckpointStore(cluster.CheckpointDirectory).PathOf(spec.Key);

    [Fact]
    public async Task A_training_run_keeps_its_checkpoint_under_its_key_until_its_outcome_is_stored()
    {
        var spec = Spec(seconds: 1.5, checkpointEvery: 1);
        var run = cluster.Client.Grain(spec);

        await run.Start(spec);
        // The first checkpoint follows the first of ten ticks; the limit only keeps a broken runner from hanging.
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!File.Exists(CheckpointFile(spec)) && !(await run.GetStatus()).IsFinished && DateTime.UtcNow < limit)
            await Task.Delay(10);
        bool seenWhileTraining = File.Exists(CheckpointFile(spec)) && !(await run.GetStatus()).IsFinished;
        var done = await SimulatedRuns.Finished(run);

        Assert.True(seenWhileTraining, "no checkpoint appeared while the run trained");
        Assert.Equal(RunState.Completed, done.State);
        Assert.True(await Removed(CheckpointFile(spec)), "the checkpoint outlived the stored outcome");
    }

    [Fact]
    public async Task A_run_with_a_checkpoint_in_the_silos_directory_continues_from_it_rather_than_from_the_start()
    {
        var spec = Spec(seconds: 5, checkpointEvery: 1);
        // As a silo that died after nine of the ten ticks would have left it.
        new DirectoryCheckpointStore(cluster.CheckpointDirectory).Save(new TrainingCheckpoint
        {
            RunKey = spec.Key,
            DataProvenance = "simulated",
            Epoch = 0,
            Batch = 9,
            ImagesSeen = SimulatedRuns.TrainSize * 9 / 10,
            TrainLoss = double.NaN,
            Seconds = 4.5,
            Curve = [],
            EvalCurve = [],
            TrainAmd = AmdStatistics.None,
            Weights = [],
            OptimizerState = [],
            GeneratorState = [],
        });
        var run = cluster.Client.Grain(spec);

        await run.Start(spec);
        // The first progress the run shows: from the start it would be 0.1 (tick 1 of 10), resumed it is the last tick.
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        RunStatus status;
        while ((status = await run.GetStatus()) is { Phase: not "train", IsFinished: false } && DateTime.UtcNow < limit)
            await Task.Delay(5);
        var done = await SimulatedRuns.Finished(run);

        Assert.Equal(1.0, status.Progress);
        Assert.Equal(RunState.Completed, done.State);
        Assert.True(await Removed(CheckpointFile(spec)), "the checkpoint outlived the stored outcome");
    }

    [Fact]
    public async Task An_activation_whose_record_another_activation_wrote_stops_without_overwriting_it()
    {
        var spec = Spec(seconds: 1, checkpointEvery: 0);
        var run = cluster.Client.Grain(spec);
        await run.Start(spec);
        await SimulatedRuns.Running(run);

        // Another activation (as on a silo that took the run over) writes the record while this one trains.
        // It ends the run as cancelled, so that the record it leaves is final.
        var state = new GrainState<RunRecord>();
        await cluster.RunStorage.ReadStateAsync("run", run.GetGrainId(), state);
        state.State!.State = RunState.Cancelled;
        state.State.Error = "taken over";
        await cluster.RunStorage.WriteStateAsync("run", run.GetGrainId(), state);

        // The superseded activation's final write (completed, with an outcome) is refused: it goes away, and the next
        // activation reads the other's record. Without the ETag check the completed record would win and this wait
        // would run out.
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        RunStatus status;
        while ((status = await run.GetStatus()).Error != "taken over" && DateTime.UtcNow < limit)
            await Task.Delay(20);

        Assert.Equal(RunState.Cancelled, status.State);
        Assert.Equal("taken over", status.Error);
        Assert.Null(status.Outcome);
    }
}
