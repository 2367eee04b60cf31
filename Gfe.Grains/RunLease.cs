using Orleans.Runtime;

namespace Gfe.Grains;

/// <summary>A run handed to a silo by the <see cref="RunQueueGrain"/>: the silo trains it until it finishes, hands
/// it back, or is declared dead.</summary>
[GenerateSerializer, Immutable]
public sealed record RunLease(
    [property: Id(0)] QueuedRun Run,
    [property: Id(1)] SiloAddress Silo,
    [property: Id(2)] DateTime GrantedUtc);
