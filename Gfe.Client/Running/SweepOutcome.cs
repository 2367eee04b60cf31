using Gfe.Abstractions;
using Gfe.Client.Commands;

namespace Gfe.Client.Running;

/// <summary>How a sweep ended: every run's last status, and whether the user stopped waiting before all finished.</summary>
public sealed record SweepOutcome(
    IReadOnlyList<RunRecord> Runs,
    bool Interrupted,
    DateTime StartedUtc,
    DateTime FinishedUtc)
{
    /// <summary>The sweep's search was cancelled (<c>gfe sweep cancel</c>); <c>gfe sweep run --restart</c> starts it
    /// afresh.</summary>
    public bool SearchCancelled { get; init; }

    /// <summary>0 when every run completed or was stopped early by the sweep's rule (or was not started because the
    /// budget was reached), 1 when any other
    /// did not, 130 when the user interrupted the wait.</summary>
    public int ExitCode =>
        Interrupted ? ExitCodes.Interrupted
        : Runs.All(r => r.Status.State is RunState.Completed or RunState.Stopped || r.Status is { State: RunState.NotStarted, Phase: BudgetGate.Phase }) ? ExitCodes.Success
        : ExitCodes.RunsFailed;
}
