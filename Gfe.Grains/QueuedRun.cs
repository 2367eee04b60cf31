using Orleans.Runtime;

namespace Gfe.Grains;

/// <summary>A run waiting in the cluster's <see cref="RunQueueGrain"/> for a job slot, with the silo its grain was
/// active on when it was queued (a hint: a silo that pulls a run whose grain it already hosts starts it without
/// moving the grain).</summary>
[GenerateSerializer, Immutable]
public sealed record QueuedRun(
    [property: Id(0)] string Key,
    [property: Id(1)] bool NeedsGpu,
    [property: Id(2)] SiloAddress? ActiveOn = null);
