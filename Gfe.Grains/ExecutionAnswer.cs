namespace Gfe.Grains;

/// <summary>What a run grain answers a <see cref="SlotPuller"/> that asks it to train (<see cref="IRunExecution"/>).</summary>
[GenerateSerializer]
public enum ExecutionAnswer
{
    /// <summary>The run trains on the puller's silo, in the slot the puller reserved.</summary>
    Started,

    /// <summary>The grain is active on another silo and idle: it migrates to the puller's silo, so ask again.</summary>
    Elsewhere,

    /// <summary>The run trains already (on the puller's silo or another): the reserved slot is not needed.</summary>
    AlreadyTraining,

    /// <summary>The run is finished, cancelled or was never started: nothing to train, and nothing to queue.</summary>
    NothingToRun,
}
