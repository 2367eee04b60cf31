namespace Gfe.Abstractions;

/// <summary>
/// A sweep whose runs the cluster schedules itself because it stops runs early: the grain decides which
/// configuration trains to which rung, and keeps its decisions, so the client that started it may detach. Keyed by
/// the sweep's identity (<see cref="SweepPlan.Key"/>), so running the same sweep again attaches to it.
/// </summary>
public interface ISweepGrain : IGrainWithStringKey
{
    /// <summary>Takes the plan and returns at once. Idempotent: a sweep that already has its plan goes on where it
    /// is (no run trains twice, no decision is taken twice).</summary>
    Task Start(SweepPlan plan);

    /// <summary>Where the search is; answers while it runs.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<SweepStatus> GetStatus();

    /// <summary>Cancels an unfinished search (<c>gfe sweep cancel</c>): no trial starts and none is promoted any more,
    /// the runs in flight are cancelled, and the record says so, so that running the same sweep again reports the
    /// cancellation instead of going on. Returns the status after; a sweep never started or already done is left
    /// as it is.</summary>
    Task<SweepStatus> Cancel();

    /// <summary>As <see cref="Start"/>, but a cancelled search first forgets its decisions and starts afresh
    /// (<c>gfe sweep run --restart</c>); runs trained already keep their results and are not trained again. A search
    /// that was not cancelled goes on where it is.</summary>
    Task Restart(SweepPlan plan);
}

/// <summary>
/// A sweep with early stopping as the client hands it to its grain: the trials (configurations, each with its
/// replicate runs), the rule (asha or median), the evaluation it compares, each trial's rungs in training images
/// (the last one the end of training), and the sweep's budget (null limits do not apply).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SweepPlan(
    [property: Id(0)] string Key,
    [property: Id(1)] string Rule,
    [property: Id(2)] string Metric,
    [property: Id(3)] int Reduction,
    [property: Id(4)] List<SweepTrial> Trials,
    [property: Id(5)] int TrialsAtOnce,
    [property: Id(6)] int? MaxRuns = null,
    [property: Id(7)] double? MaxHours = null,
    [property: Id(8)] long? MaxTrainImages = null);

/// <summary>One configuration of a search: its name, its replicate runs (one per seed) and its rungs.</summary>
[GenerateSerializer, Immutable]
public sealed record SweepTrial(
    [property: Id(0)] string Name,
    [property: Id(1)] List<RunSpec> Replicates,
    [property: Id(2)] List<long> Rungs);

/// <summary>A sweep grain's progress: whether it is done, the rung each trial reached (0 = not yet at the first),
/// how many decisions it has taken, why it stopped starting trials when its budget was reached (as runs.csv records
/// it for the runs never started), whether it was cancelled, and the training images its starts and promotions
/// committed.</summary>
[GenerateSerializer, Immutable]
public sealed record SweepStatus(
    [property: Id(0)] bool Started,
    [property: Id(1)] bool Done,
    [property: Id(2)] Dictionary<string, int> ReachedRung,
    [property: Id(3)] int Decisions,
    [property: Id(4)] string? BudgetReached = null,
    [property: Id(5)] bool Cancelled = false,
    [property: Id(6)] long ImagesCommitted = 0);
