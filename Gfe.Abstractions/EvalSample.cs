namespace Gfe.Abstractions;

/// <summary>One point of a run's evaluation curve: the test loss by evaluation name after so many training images, at
/// so many seconds of training (evaluation time excluded).</summary>
[GenerateSerializer, Immutable]
public sealed record EvalSample(
    [property: Id(0)] long ImagesSeen,
    [property: Id(1)] double Seconds,
    [property: Id(2)] Dictionary<string, double> TestLoss);
