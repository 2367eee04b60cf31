using Orleans.Runtime;

namespace Gfe.Grains;

/// <summary>
/// A silo asking the <see cref="RunQueueGrain"/> for work: who it is, how many GPUs it has, how many slots it can fill
/// now, and the runs it holds slots for (so the queue can take back leases the silo no longer holds).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SlotRequest(
    [property: Id(0)] SiloAddress Silo,
    [property: Id(1)] int Gpus,
    [property: Id(2)] int FreeSlots,
    [property: Id(3)] List<string> HeldRuns);
