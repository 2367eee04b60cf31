using System.Security.Cryptography;
using System.Text;
using Gfe.Abstractions;
using Gfe.Client.Sweeps;
using Gfe.Engine.Runs;
using Gfe.Engine.Search;

namespace Gfe.Client.Running;

/// <summary>
/// The plan a sweep with <c>earlyStop</c> hands to its sweep grain: the runs grouped into trials (a configuration
/// and its replicates: the runs that differ only in their seed), each with its rungs
/// (<see cref="EarlyStopper.RungImages"/>), and the budget the grain pays each start and promotion from, keyed by a
/// hash of everything the decisions depend on, so that running the same sweep file again attaches to the same sweep
/// grain.
/// </summary>
public static class EarlyStopPlan
{
    /// <summary>Whether the sweep stops runs early (it has an earlyStop section and runs).</summary>
    public static bool Supported(SweepFile sweep) => sweep.Search.EarlyStop is not null && sweep.Runs.Count > 0;

    /// <summary>The key of the sweep's grain, for commands that attach to it (it does not depend on how many trials
    /// train at once).</summary>
    public static string KeyOf(SweepFile sweep) => For(sweep, 1).Key;

    public static SweepPlan For(SweepFile sweep, int trialsAtOnce)
    {
        var earlyStop = sweep.Search.EarlyStop ?? throw new ArgumentException("the sweep has no earlyStop section");
        var trials = sweep.Runs
            .GroupBy(r => RunKey.For(r.Config with { Seed = 0 }), StringComparer.Ordinal)
            .Select(g => new SweepTrial(
                g.Key,
                g.Select(r => r.Spec).ToList(),
                EarlyStopper.RungImages(earlyStop.Rule, earlyStop.Rungs, earlyStop.Reduction, FullImages(g.First().Config)).ToList()))
            .ToList();
        var budget = sweep.Search.Budget;
        // The budget is part of the sweep's identity: a file with another budget is another search (its runs, keyed
        // by their settings, are reused all the same).
        var identity = string.Join("\n", [
            sweep.Name, earlyStop.Rule.ToString(), earlyStop.Metric, earlyStop.Rungs.ToString(), earlyStop.Reduction.ToString(),
            .. budget == SweepBudget.None ? Array.Empty<string>() : [FormattableString.Invariant($"budget {budget.MaxRuns} {budget.MaxHours:R} {budget.MaxTrainImages}")],
            .. trials.SelectMany(t => t.Replicates.Select(r => $"{t.Name}:{r.Key}")),
        ]);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
        return new SweepPlan($"{sweep.Name}.{hash}", earlyStop.Rule.ToString().ToLowerInvariant(), earlyStop.Metric,
            earlyStop.Reduction, trials, Math.Max(1, trialsAtOnce), budget.MaxRuns, budget.MaxHours, budget.MaxTrainImages);
    }

    /// <summary>Training images of a full run: train size x epochs (the whole split counted as 60,000 images, as
    /// the simulated objective counts it; a rung past the real end just trains to the end).</summary>
    public static long FullImages(RunConfig config) => SimulatedObjective.TrainImages(config);
}
