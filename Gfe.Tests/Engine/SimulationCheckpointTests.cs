using Gfe.Engine.Checkpoints;
using Gfe.Engine.Runs;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>The simulated run checkpoints like a real one, so that the runner's failover can be tested without torch.</summary>
public sealed class SimulationCheckpointTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("gfe-simulation-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    static readonly RunConfig Config = new() { Method = RunMethod.Simulate, SimulateSeconds = 0.05, TrainSize = 100, CheckpointEvery = 3 };

    [Fact]
    public void A_simulation_saves_after_every_checkpointEvery_ticks_but_not_after_the_last()
    {
        var store = new RecordingStore(new DirectoryCheckpointStore(directory));

        RunExecutor.Execute(Config, null, null, CancellationToken.None, store);

        Assert.Equal([3, 6, 9], store.SavedBatches);
        Assert.All(store.Saved, c => Assert.Equal(RunKey.For(Config), c.RunKey));
        Assert.Equal([30L, 60L, 90L], store.Saved.Select(c => c.ImagesSeen));
    }

    [Fact]
    public void A_simulation_resumes_after_the_tick_of_its_latest_checkpoint()
    {
        var store = new DirectoryCheckpointStore(directory);
        RunExecutor.Execute(Config with { CheckpointEvery = 8 }, null, null, CancellationToken.None, new SaveOnly(store));
        var reports = new List<RunProgress>();

        // The checkpoint of tick 8 is filed under the key of the config it was saved with.
        var result = Simulation.Run(Config with { CheckpointEvery = 8 }, new SynchronousProgress(reports), CancellationToken.None, store);

        Assert.Equal([0.9, 1.0], reports.Select(r => r.Fraction));
        Assert.Equal(100, result.ImagesSeen);
    }

    [Fact]
    public void Without_a_store_or_with_checkpointEvery_0_nothing_is_saved_and_nothing_resumed()
    {
        var store = new RecordingStore(new DirectoryCheckpointStore(directory));
        var reports = new List<RunProgress>();

        Simulation.Run(Config with { CheckpointEvery = 0 }, new SynchronousProgress(reports), CancellationToken.None, store);

        Assert.Empty(store.Saved);
        Assert.Equal(0, store.Reads);
        Assert.Equal(10, reports.Count);
    }

    [Fact]
    public void A_simulation_stopped_at_a_rung_checkpoints_there_and_a_continuation_goes_on_from_its_images()
    {
        var store = new RecordingStore(new DirectoryCheckpointStore(directory));
        var config = Config with { CheckpointEvery = 0, EvalEvery = 10 };

        var stopped = Simulation.Run(config, null, CancellationToken.None, store, stopAtImages: 30);
        var reports = new List<RunProgress>();
        var finished = Simulation.Run(config, new SynchronousProgress(reports), CancellationToken.None, store, stopAtImages: 100);

        // Stopped at 30 of 100 images, with the losses and the evaluation curve there, and a checkpoint (although
        // checkpointEvery is 0) of tick 3.
        Assert.True(stopped.StoppedEarly);
        Assert.Equal(30, stopped.ImagesSeen);
        Assert.Equal(SimulatedObjective.LossAt(config, 30), stopped.TestLoss[Evaluations.Simulate]);
        Assert.Equal([0L, 10L, 20L, 30L], stopped.EvalCurve.Select(p => p.ImagesSeen));
        Assert.Equal([3], store.SavedBatches);
        Assert.Equal(30, store.Saved[0].ImagesSeen);
        // The continuation reports from tick 4 (40 images) on, not from the start, and ends where a full run does.
        Assert.Equal([40L, 50L, 60L, 70L, 80L, 90L, 100L], reports.Select(r => r.ImagesSeen));
        Assert.False(finished.StoppedEarly);
        Assert.Equal(100, finished.ImagesSeen);
        Assert.Equal(SimulatedObjective.LossAt(config, 100), finished.TestLoss[Evaluations.Simulate]);
    }

    /// <summary>Keeps every checkpoint it is given, as well as passing it on.</summary>
    sealed class RecordingStore(ICheckpointStore inner) : ICheckpointStore
    {
        public List<TrainingCheckpoint> Saved { get; } = [];

        public int Reads { get; private set; }

        public IEnumerable<int> SavedBatches => Saved.Select(c => c.Batch);

        public TrainingCheckpoint? Latest(string runKey)
        {
            Reads++;
            return inner.Latest(runKey);
        }

        public void Save(TrainingCheckpoint checkpoint)
        {
            Saved.Add(checkpoint);
            inner.Save(checkpoint);
        }

        public void Remove(string runKey) => inner.Remove(runKey);
    }

    /// <summary>Saves but never resumes: the first run starts afresh even if a checkpoint exists.</summary>
    sealed class SaveOnly(ICheckpointStore inner) : ICheckpointStore
    {
        public TrainingCheckpoint? Latest(string runKey) => null;

        public void Save(TrainingCheckpoint checkpoint) => inner.Save(checkpoint);

        public void Remove(string runKey) => inner.Remove(runKey);
    }
}
