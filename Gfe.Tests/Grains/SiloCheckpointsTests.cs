using Gfe.Engine.Checkpoints;
using Gfe.Engine.Runs;
using Gfe.Grains;
using Xunit;

namespace Gfe.Tests.Grains;

public sealed class SiloCheckpointsTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("gfe-silo-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void The_silo_interval_fills_in_only_for_runs_that_set_none()
    {
        var checkpoints = new SiloCheckpoints(new DirectoryCheckpointStore(directory), defaultEvery: 50);
        var off = new SiloCheckpoints(new DirectoryCheckpointStore(directory), defaultEvery: 0);
        var unset = new RunConfig { Method = RunMethod.Simulate };

        Assert.Equal(50, checkpoints.Apply(unset).CheckpointEvery);
        Assert.Equal(7, checkpoints.Apply(unset with { CheckpointEvery = 7 }).CheckpointEvery);
        Assert.Equal(0, off.Apply(unset).CheckpointEvery);
        // Filling in the interval changes the engine's key, not the run's: hence the run-keyed store below.
        Assert.NotEqual(RunKey.For(unset), RunKey.For(checkpoints.Apply(unset)));
    }

    [Fact]
    public void A_runs_store_files_checkpoints_under_the_submitted_key_whatever_key_the_engine_names()
    {
        var checkpoints = new SiloCheckpoints(new DirectoryCheckpointStore(directory), defaultEvery: 1);
        var store = checkpoints.ForRun("simulate.mnist.n100.s1.submitted");

        store.Save(Checkpoint("simulate.mnist.n100.s1.engine", batch: 4));

        Assert.True(checkpoints.Has("simulate.mnist.n100.s1.submitted"));
        Assert.False(checkpoints.Has("simulate.mnist.n100.s1.engine"));
        var latest = store.Latest("simulate.mnist.n100.s1.engine");
        Assert.Equal(4, latest?.Batch);
        Assert.Equal("simulate.mnist.n100.s1.submitted", latest?.RunKey);

        checkpoints.Remove("simulate.mnist.n100.s1.submitted");
        Assert.False(checkpoints.Has("simulate.mnist.n100.s1.submitted"));
        checkpoints.Remove("simulate.mnist.n100.s1.submitted"); // removing twice is fine
    }

    static TrainingCheckpoint Checkpoint(string key, int batch) => new()
    {
        RunKey = key,
        DataProvenance = "simulated",
        Epoch = 0,
        Batch = batch,
        ImagesSeen = 0,
        TrainLoss = double.NaN,
        Seconds = 0,
        Curve = [],
        EvalCurve = [],
        TrainAmd = AmdStatistics.None,
        Weights = [],
        OptimizerState = [],
        GeneratorState = [],
    };
}
