using Gfe.Engine.Checkpoints;
using Gfe.Engine.Runs;

namespace Gfe.Grains;

/// <summary>
/// The checkpoints of the runs a silo trains: one directory (shared by every silo of a cluster, so that another silo
/// can resume a run whose silo died) and the silo's checkpoint interval for runs that set none.
/// </summary>
public sealed class SiloCheckpoints(DirectoryCheckpointStore store, int defaultEvery)
{
    public DirectoryCheckpointStore Store { get; } = store;

    /// <summary>Where trained models are saved, one folder per run key: "models" beside the checkpoint directory, so
    /// that it is shared by the silos of a cluster as the checkpoints are.</summary>
    public string ModelsDirectory => Path.Combine(Path.GetDirectoryName(Store.Directory) ?? ".", "models");

    /// <summary>Batches between checkpoints for runs whose checkpointEvery is 0; 0 = those runs are not checkpointed.</summary>
    public int DefaultEvery { get; } = defaultEvery;

    public static SiloCheckpoints From(GfeSiloOptions options) =>
        new(new DirectoryCheckpointStore(options.CheckpointsIn), options.CheckpointEvery);

    /// <summary>The config the engine trains with: the run's own with the silo's interval filled in. The run key is
    /// computed from the submitted settings, so the store of <see cref="ForRun"/> files checkpoints under it.</summary>
    public RunConfig Apply(RunConfig config) =>
        config.CheckpointEvery > 0 || DefaultEvery == 0 ? config : config with { CheckpointEvery = DefaultEvery };

    /// <summary>The store the engine saves one run's checkpoints in, under <paramref name="runKey"/>.</summary>
    public ICheckpointStore ForRun(string runKey) => new RunCheckpointStore(Store, runKey);

    /// <summary>Whether the run has a checkpoint to resume from.</summary>
    public bool Has(string runKey) => File.Exists(Store.PathOf(runKey));

    /// <summary>Best effort: a checkpoint left behind only costs disk, and the next run of the key ignores or
    /// replaces it.</summary>
    public void Remove(string runKey)
    {
        try { Store.Remove(runKey); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
