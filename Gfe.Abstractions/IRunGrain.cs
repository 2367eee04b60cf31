using Orleans.Concurrency;

namespace Gfe.Abstractions;

/// <summary>
/// One training configuration, keyed by its canonical run key. The grain trains in the background on the silo that
/// hosts it; callers poll <see cref="GetStatus"/>.
/// </summary>
public interface IRunGrain : IGrainWithStringKey
{
    /// <summary>Accepts the spec and returns at once. Idempotent: a run that is queued, running or completed is left
    /// alone; a failed or cancelled one is started again.</summary>
    Task Start(RunSpec spec);

    /// <summary>Status, progress and (when finished) the outcome; answers while the run trains.</summary>
    [AlwaysInterleave]
    Task<RunStatus> GetStatus();

    /// <summary>Stops a queued or running run; it is then recorded as cancelled (and a later Start trains it
    /// again). Returns at once; a run that is not queued or running is left alone.</summary>
    [AlwaysInterleave]
    Task Cancel();

    /// <summary>Takes a run that is still waiting in the queue out of it, recorded as cancelled with the reason (a
    /// later Start trains it again); used when a sweep's time budget runs out. Returns false, leaving the run alone,
    /// when it is not waiting: it has started, finished or was never submitted.</summary>
    [AlwaysInterleave]
    Task<bool> Withdraw(string reason);
}
