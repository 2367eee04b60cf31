namespace Gfe.Abstractions;

/// <summary>Where a run is in its life.</summary>
[GenerateSerializer]
public enum RunState
{
    /// <summary>The grain has never been given a spec.</summary>
    NotStarted,

    /// <summary>Accepted; waiting for a free job slot on its silo.</summary>
    Queued,

    Running,
    Completed,
    Failed,
    Cancelled,

    /// <summary>Stopped early by its sweep's early-stopping rule at a rung: it ends with its evaluation curve up to
    /// the rung and keeps its checkpoint, so that a later promotion continues it. Not a failure.</summary>
    Stopped,
}
