using Gfe.Abstractions;

namespace Gfe.Grains;

/// <summary>
/// The persisted state of one run grain: its spec, where it is in its life, the latest progress, and the outcome or
/// the error. It lives in the "runs" grain storage, so a status survives the activation that trained the run.
/// </summary>
[GenerateSerializer]
public sealed class RunRecord : IWriteToken
{
    [Id(0)] public RunSpec? Spec { get; set; }
    [Id(1)] public RunState State { get; set; } = RunState.NotStarted;
    [Id(2)] public string Phase { get; set; } = "";
    [Id(3)] public double Progress { get; set; }
    [Id(4)] public long ImagesSeen { get; set; }
    [Id(5)] public double? TrainLoss { get; set; }
    [Id(6)] public string? Silo { get; set; }
    [Id(7)] public string? Error { get; set; }
    [Id(8)] public RunOutcome? Outcome { get; set; }
    [Id(9)] public DateTime? SubmittedUtc { get; set; }
    [Id(10)] public DateTime? StartedUtc { get; set; }
    [Id(11)] public DateTime? FinishedUtc { get; set; }

    /// <summary>How many times a silo began training this run (resumptions after a silo failure included).</summary>
    [Id(12)] public int Attempts { get; set; }

    /// <summary>The token of the write that stored this record (<see cref="StateWriter{T}"/>).</summary>
    [Id(13)] public string? WriteToken { get; set; }

    public bool IsFinished => State is RunState.Completed or RunState.Failed or RunState.Cancelled;

    public RunStatus ToStatus(string key) =>
        new(key, State, Phase, Progress, ImagesSeen, TrainLoss, Silo, Error, Outcome, StartedUtc, FinishedUtc);
}
