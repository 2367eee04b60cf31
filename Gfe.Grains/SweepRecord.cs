using Gfe.Abstractions;
using Gfe.Engine.Search;

namespace Gfe.Grains;

/// <summary>
/// The persisted state of a sweep grain: its plan, the log of its decisions (in the order taken, so that replaying it
/// into an <see cref="Gfe.Engine.Search.EarlyStopper"/> rebuilds the rule's state exactly), and the trials training
/// now with the rung each trains to.
/// </summary>
[GenerateSerializer]
public sealed class SweepRecord : ITrialLedger
{
    IDictionary<string, int> ITrialLedger.Training => Training;

    ISet<string> ITrialLedger.Failed => Failed;

    void ITrialLedger.LogPromotion(string trial, int fromRung) => Log.Add(new SweepDecision(trial, fromRung, null));

    [Id(0)] public SweepPlan? Plan { get; set; }
    [Id(1)] public List<SweepDecision> Log { get; set; } = [];

    /// <summary>Trials training now, by name, and the rung (from 1) each trains to.</summary>
    [Id(2)] public Dictionary<string, int> Training { get; set; } = [];

    /// <summary>The highest rung each trial reached.</summary>
    [Id(3)] public Dictionary<string, int> Reached { get; set; } = [];

    /// <summary>The index of the next trial of the plan to start.</summary>
    [Id(4)] public int NextTrial { get; set; }

    [Id(5)] public bool Done { get; set; }

    /// <summary>Trials one of whose replicates failed or was cancelled: they are never promoted.</summary>
    [Id(6)] public HashSet<string> Failed { get; set; } = [];

    /// <summary>When the search began: <c>budget.maxHours</c> counts from here.</summary>
    [Id(7)] public DateTime? StartedUtc { get; set; }

    /// <summary>Training images committed by every start and promotion (each replicate's segment to its rung).</summary>
    [Id(8)] public long ImagesCommitted { get; set; }

    /// <summary>Runs started (a run continued after a rung counts once).</summary>
    [Id(9)] public int RunsStarted { get; set; }

    /// <summary>Why the search stopped starting and promoting trials, once a budget limit was reached; null before.</summary>
    [Id(10)] public string? BudgetReached { get; set; }

    /// <summary>Cancelled by <c>gfe sweep cancel</c>; <see cref="Done"/> too.</summary>
    [Id(11)] public bool Cancelled { get; set; }
}

/// <summary>One entry of a sweep's decision log: a trial recorded at a rung with its replicate-mean metric, or
/// (<see cref="Metric"/> null) promoted from that rung.</summary>
[GenerateSerializer, Immutable]
public sealed record SweepDecision(
    [property: Id(0)] string Trial,
    [property: Id(1)] int Rung,
    [property: Id(2)] double? Metric);
