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
    /// <summary>0 when every run completed, 1 when any did not, 130 when the user interrupted the wait.</summary>
    public int ExitCode =>
        Interrupted ? ExitCodes.Interrupted
        : Runs.All(r => r.Status.State == RunState.Completed) ? ExitCodes.Success
        : ExitCodes.RunsFailed;
}
