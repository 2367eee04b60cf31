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
