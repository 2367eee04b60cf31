namespace Gfe.Grains;

/// <summary>The persisted state of the <see cref="RunQueueGrain"/>: the runs waiting for a slot, oldest first, and
/// the runs leased to silos by run key.</summary>
[GenerateSerializer]
public sealed class RunQueueState : IWriteToken
{
    [Id(0)] public List<QueuedRun> Waiting { get; set; } = [];
    [Id(1)] public Dictionary<string, RunLease> Leases { get; set; } = [];

    /// <summary>The token of the write that stored this state (<see cref="StateWriter{T}"/>).</summary>
    [Id(2)] public string? WriteToken { get; set; }
}
