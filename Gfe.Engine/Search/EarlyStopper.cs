namespace Gfe.Engine.Search;

/// <summary>
/// The decisions of an early-stopping rule, as plain state that a sweep grain can store and replay: the metric each
/// configuration had at each rung it reached (lower is better; the mean over its replicates), and which
/// configurations were promoted from which rung. Rung k (from 1) lies at k x rungImages training images; the last
/// rung is the end of training. Deterministic: the same records in the same order give the same decisions, ties
/// broken by configuration name.
/// </summary>
public sealed class EarlyStopper
{
    readonly EarlyStopRule rule;
    readonly int reduction;
    readonly List<Dictionary<string, double>> metrics = [];
    readonly List<HashSet<string>> promoted = [];

    /// <summary>Median rule: the configurations that were no worse than the median when they arrived at a rung.</summary>
    readonly List<HashSet<string>> passedMedian = [];

    public EarlyStopper(EarlyStopRule rule, int reduction)
    {
        if (reduction < 2) throw new ArgumentOutOfRangeException(nameof(reduction), $"reduction must be at least 2, not {reduction}");
        this.rule = rule;
        this.reduction = reduction;
    }

    /// <summary>
    /// The training images at which the rungs lie, the last one the end of training (<paramref name="fullImages"/>).
    /// ASHA spaces them geometrically, as successive halving does: rung k at firstRung x reduction^(k-1). The median
    /// rule spaces them evenly: rung k at k x firstRung.
    /// </summary>
    public static IReadOnlyList<long> RungImages(EarlyStopRule rule, long firstRung, int reduction, long fullImages)
    {
        if (firstRung < 1 || fullImages < 1) throw new ArgumentOutOfRangeException(nameof(firstRung), "rungs and full training need at least one image");
        var rungs = new List<long>();
        for (long images = firstRung; images < fullImages; images = rule == EarlyStopRule.Asha ? images * reduction : images + firstRung)
            rungs.Add(images);
        rungs.Add(fullImages);
        return rungs;
    }

    /// <summary>The training images one run trains to reach <paramref name="rung"/> (from 1) from the rung before it
    /// (from the start for the first): what starting or promoting it to that rung costs a budget.</summary>
    public static long SegmentImages(IReadOnlyList<long> rungs, int rung)
    {
        if (rung < 1 || rung > rungs.Count) throw new ArgumentOutOfRangeException(nameof(rung), $"rung {rung} is not one of the {rungs.Count} rungs");
        return rungs[rung - 1] - (rung > 1 ? rungs[rung - 2] : 0);
    }

    /// <summary>Records that <paramref name="configuration"/> reached <paramref name="rung"/> (from 1) with this
    /// replicate-mean metric. Recording the same rung twice keeps the first value: a decision is never taken twice.</summary>
    public void Record(string configuration, int rung, double metric)
    {
        if (rung < 1) throw new ArgumentOutOfRangeException(nameof(rung), "rungs count from 1");
        if (!double.IsFinite(metric)) metric = double.PositiveInfinity;
        while (metrics.Count < rung)
        {
            metrics.Add(new Dictionary<string, double>(StringComparer.Ordinal));
            promoted.Add(new HashSet<string>(StringComparer.Ordinal));
            passedMedian.Add(new HashSet<string>(StringComparer.Ordinal));
        }
        if (!metrics[rung - 1].TryAdd(configuration, metric)) return;
        if (rule == EarlyStopRule.Median)
        {
            // Median of everything recorded at the rung, itself included (the mean of the two middle values for an
            // even count), decided once on arrival: a later, worse arrival does not revive a stopped configuration.
            var values = metrics[rung - 1].Values.Order().ToList();
            double median = values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
            if (metric <= median) passedMedian[rung - 1].Add(configuration);
        }
    }

    /// <summary>The configurations recorded at a rung, best first.</summary>
    public IReadOnlyList<(string Configuration, double Metric)> At(int rung) =>
        rung < 1 || rung > metrics.Count ? [] : Ranked(rung);

    public bool IsPromoted(string configuration, int rung) =>
        rung >= 1 && rung <= promoted.Count && promoted[rung - 1].Contains(configuration);

    /// <summary>
    /// The next promotion the rule allows now, searching the highest rung below <paramref name="lastRung"/> first
    /// (finishing good configurations before starting more, as ASHA does), and marks it taken; null when there is
    /// none. For the median rule a configuration is promoted from a rung at most once, right after it is recorded
    /// there (<see cref="Record"/> decides it), or never.
    /// </summary>
    public (string Configuration, int FromRung)? NextPromotion(int lastRung)
    {
        if (PeekPromotion(lastRung) is not { } next) return null;
        promoted[next.FromRung - 1].Add(next.Configuration);
        return next;
    }

    /// <summary>The promotion <see cref="NextPromotion"/> would take now, without taking it: a scheduler whose
    /// budget cannot pay for it leaves the rule's state as it is.</summary>
    public (string Configuration, int FromRung)? PeekPromotion(int lastRung)
    {
        for (int rung = Math.Min(lastRung - 1, metrics.Count); rung >= 1; rung--)
        {
            foreach (var configuration in Promotable(rung))
            {
                if (!promoted[rung - 1].Contains(configuration))
                    return (configuration, rung);
            }
        }
        return null;
    }

    /// <summary>Whether the rule would promote the configuration from the rung now (promoted already or not).</summary>
    public bool Continues(string configuration, int rung) => rung >= 1 && rung <= metrics.Count && Promotable(rung).Contains(configuration);

    IEnumerable<string> Promotable(int rung)
    {
        var ranked = Ranked(rung);
        return rule == EarlyStopRule.Asha
            ? ranked.Take(ranked.Count / reduction).Select(r => r.Configuration)
            : ranked.Where(r => passedMedian[rung - 1].Contains(r.Configuration)).Select(r => r.Configuration);
    }

    List<(string Configuration, double Metric)> Ranked(int rung) =>
        metrics[rung - 1]
            .Select(kv => (kv.Key, kv.Value))
            .OrderBy(r => r.Value)
            .ThenBy(r => r.Key, StringComparer.Ordinal)
            .ToList();
}
