using Gfe.Engine.Checkpoints;

namespace Gfe.Grains;

/// <summary>
/// One run's view of the silo's checkpoint directory. The engine names checkpoints by the key of the config it was
/// handed, which differs from the submitted run key when the silo filled in checkpointEvery; this store files them
/// under the submitted key, so that every silo finds them whatever its own interval.
/// </summary>
sealed class RunCheckpointStore(DirectoryCheckpointStore store, string runKey) : ICheckpointStore
{
    public TrainingCheckpoint? Latest(string _) => store.Latest(runKey);

    public void Save(TrainingCheckpoint checkpoint) => store.Save(checkpoint with { RunKey = runKey });

    public void Remove(string _) => store.Remove(runKey);
}
