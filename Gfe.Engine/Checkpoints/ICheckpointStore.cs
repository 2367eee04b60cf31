namespace Gfe.Engine.Checkpoints;

/// <summary>Where checkpoints of runs are kept, by run key: only the latest one of a run matters.</summary>
public interface ICheckpointStore
{
    /// <summary>The latest checkpoint of the run, or null if it has none.</summary>
    TrainingCheckpoint? Latest(string runKey);

    /// <summary>Saves a checkpoint, replacing the run's previous one; a reader never sees a half-written checkpoint.</summary>
    void Save(TrainingCheckpoint checkpoint);

    /// <summary>Forgets the run's checkpoint (e.g. once its result is stored).</summary>
    void Remove(string runKey);
}
