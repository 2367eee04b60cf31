using Gfe.Abstractions;

namespace Gfe.Client.Running;

/// <summary>
/// What a sweep looks like at one poll: every run's last status, the time since submission started, and the last
/// error of talking to the cluster (null when the last poll went through).
/// </summary>
public sealed record SweepProgress(IReadOnlyList<RunRecord> Runs, TimeSpan Elapsed, string? PollError)
{
    public int Completed => Count(RunState.Completed);

    public int Running => Count(RunState.Running);

    /// <summary>Stopped early at a rung by the sweep's rule: not a failure.</summary>
    public int Stopped => Count(RunState.Stopped);

    /// <summary>Waiting for a job slot, or not yet accepted by its grain.</summary>
    public int Queued => Count(RunState.Queued) + Count(RunState.NotStarted) - OverBudget;

    /// <summary>Not started because the sweep's budget was reached (<see cref="BudgetGate"/>).</summary>
    public int OverBudget => Runs.Count(r => r.Status is { State: RunState.NotStarted, Phase: BudgetGate.Phase });

    /// <summary>Failed or cancelled on the silo: the run ended without a result.</summary>
    public int Failed => Count(RunState.Failed) + Count(RunState.Cancelled);

    public int Total => Runs.Count;

    public bool AllFinished => Runs.All(r => r.Status.IsFinished || r.Status is { State: RunState.NotStarted, Phase: BudgetGate.Phase });

    public string Summary =>
        $"{Completed}/{Total} done, {Running} running, {Queued} queued, {Failed} failed{(Stopped > 0 ? $", {Stopped} stopped early" : "")}{(OverBudget > 0 ? $", {OverBudget} over budget" : "")} ({Elapsed:hh\\:mm\\:ss})";

    int Count(RunState state) => Runs.Count(r => r.Status.State == state);
}
