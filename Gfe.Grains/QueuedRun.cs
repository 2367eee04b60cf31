namespace Gfe.Grains;

/// <summary>A run waiting in the cluster's <see cref="RunQueueGrain"/> for a job slot.</summary>
[GenerateSerializer, Immutable]
public sealed record QueuedRun(
    [property: Id(0)] string Key,
    [property: Id(1)] bool NeedsGpu);
