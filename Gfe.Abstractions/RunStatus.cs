namespace Gfe.Abstractions;

/// <summary>A run's state as its grain reports it: progress while it trains, the outcome or the error at the end.</summary>
[GenerateSerializer, Immutable]
public sealed record RunStatus(
    [property: Id(0)] string Key,
    [property: Id(1)] RunState State,
    [property: Id(2)] string Phase,
    [property: Id(3)] double Progress,
    [property: Id(4)] long ImagesSeen,
    [property: Id(5)] double? TrainLoss,
    [property: Id(6)] string? Silo,
    [property: Id(7)] string? Error,
    [property: Id(8)] RunOutcome? Outcome,
    [property: Id(9)] DateTime? StartedUtc,
    [property: Id(10)] DateTime? FinishedUtc)
{
    public bool IsFinished => State is RunState.Completed or RunState.Failed or RunState.Cancelled or RunState.Stopped;
}
