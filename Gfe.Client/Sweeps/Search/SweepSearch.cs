using Gfe.Engine.Search;

namespace Gfe.Client.Sweeps;

/// <summary>
/// The search part of a sweep file: how configurations are picked (<see cref="Method"/>, <see cref="Trials"/>,
/// <see cref="Seed"/>), the seeds every configuration runs with (<see cref="Replicates"/>; empty: the runs' own seed
/// settings), the budget, and the early-stopping rule (null: every run trains in full).
/// </summary>
public sealed record SweepSearch(
    SearchMethod Method,
    int Trials,
    int Seed,
    IReadOnlyList<int> Replicates,
    SweepBudget Budget,
    EarlyStop? EarlyStop)
{
    /// <summary>A plain grid: today's sweep files.</summary>
    public static SweepSearch Grid { get; } = new(SearchMethod.Grid, 0, 0, [], SweepBudget.None, null);

    public bool IsSampled => Method != SearchMethod.Grid;
}

/// <summary>Limits on a sweep: it stops starting runs once one is reached. Null: no limit.</summary>
public sealed record SweepBudget(int? MaxRuns, double? MaxHours, long? MaxTrainImages)
{
    public static SweepBudget None { get; } = new(null, null, null);

    /// <summary>The limits as the schedulers check them.</summary>
    public SearchBudget Limits => new(MaxRuns, MaxHours, MaxTrainImages);
}

/// <summary>
/// <c>earlyStop:</c> decide at every <see cref="Rungs"/> training images, on the evaluation curve's
/// <see cref="Metric"/> (an evaluation name such as GFE-amd, AE or simulate; lower is better), which configurations
/// continue.
/// </summary>
public sealed record EarlyStop(EarlyStopRule Rule, string Metric, long Rungs, int Reduction);
