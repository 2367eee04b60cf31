namespace Gfe.Abstractions;

/// <summary>One point of a run's train-loss curve.</summary>
[GenerateSerializer, Immutable]
public sealed record CurveSample(
    [property: Id(0)] long ImagesSeen,
    [property: Id(1)] double Seconds,
    [property: Id(2)] double TrainLoss);
