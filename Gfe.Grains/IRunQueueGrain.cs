using Orleans.Runtime;

namespace Gfe.Grains;

/// <summary>
/// The cluster's one queue of runs waiting for a job slot (<see cref="RunQueueGrain"/>). Run grains put themselves in
/// and take themselves out; each silo's <see cref="SlotPuller"/> pulls work for its free slots.
/// </summary>
public interface IRunQueueGrain : IGrainWithIntegerKey
{
    /// <summary>Queues the run at the back unless it is already waiting or leased.</summary>
    Task Enqueue(QueuedRun run);

    /// <summary>Leases up to <see cref="SlotRequest.FreeSlots"/> waiting runs to the asking silo, oldest first, GPU
    /// silos first (see <see cref="RunQueueGrain"/>); returns their keys.</summary>
    Task<List<string>> Pull(SlotRequest request);

    /// <summary>The run is finished (or cancelled): it leaves the queue and its lease, wherever it is.</summary>
    Task Done(string runKey);

    /// <summary>The silo gives the run back unfinished (its activation went away, or it could not be placed on the
    /// silo): it waits again at the front. Ignored unless the lease is the silo's, so a stale activation cannot
    /// take a run back from the silo that trains it now.</summary>
    Task Return(string runKey, SiloAddress silo);

    /// <summary>The waiting runs and the leases, for tests and the status of the cluster.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<RunQueueState> Snapshot();
}
