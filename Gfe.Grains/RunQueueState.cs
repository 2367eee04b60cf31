namespace Gfe.Grains;

/// <summary>The persisted state of the <see cref="RunQueueGrain"/>: the runs waiting for a slot, oldest first, and
/// the runs leased to silos by run key.</summary>
[GenerateSerializer]
public sealed class RunQueueState
{
    [Id(0)] public List<QueuedRun> Waiting { get; set; } = [];
    [Id(1)] public Dictionary<string, RunLease> Leases { get; set; } = [];
}
