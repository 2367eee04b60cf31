namespace Gfe.Client.Results;

/// <summary>One of the best configurations for an evaluation: its rank, replicate summary and settings.</summary>
public sealed record RankedConfiguration(string Evaluation, int Rank, SampleSummary Loss, Configuration Configuration);

/// <summary>The data-efficiency point of an evaluation at one train size: the best configuration there (lowest
/// replicate mean), its summary, and its loss by seed (for the paired comparison).</summary>
public sealed record EfficiencyPoint(string Dataset, string Evaluation, int TrainSize, SampleSummary Loss, Configuration Configuration, IReadOnlyDictionary<string, double> LossBySeed);

/// <summary>The train size at which an evaluation's data-efficiency curve (best configuration per size) first reaches
/// <see cref="Target"/>: interpolated linearly in log(train size) between the two sizes around the crossing;
/// <see cref="AtMost"/> when even the smallest size reaches it (the size is then an upper bound).</summary>
public sealed record ImagesToReach(string Dataset, double Target, string Evaluation, double TrainSize, bool AtMost);

/// <summary>Evaluation <see cref="A"/> minus evaluation <see cref="B"/> at one dataset and train size, paired by seed.</summary>
public sealed record PairedComparison(string Dataset, int TrainSize, string A, string B, IReadOnlyList<string> Seeds, PairedTest Test);

/// <summary>
/// The statistics of the report beyond the paper's table: the best configurations per evaluation (mean ± 95 % CI over
/// replicates), test loss against train size per evaluation (data efficiency), and the paired difference between
/// evaluations per seed and size with a paired t test and a Wilcoxon signed-rank test.
/// </summary>
public sealed record SearchAnalysis(
    IReadOnlyList<Configuration> Configurations,
    IReadOnlyList<string> Evaluations,
    IReadOnlyList<string> VaryingSettings,
    IReadOnlyList<RankedConfiguration> Best,
    IReadOnlyList<EfficiencyPoint> Efficiency,
    IReadOnlyList<PairedComparison> Paired)
{
    /// <summary>Per dataset with more than one train size: the train size each evaluation needs to reach the loss
    /// that every evaluation reaches somewhere (the highest of their lowest mean losses).</summary>
    public IReadOnlyList<ImagesToReach> ToReach { get; init; } = [];

    public const int DefaultTop = 5;

    /// <summary>Settings that are not tuned: they name what is compared or what a cell averages over.</summary>
    static readonly string[] NotTuned = ["method", "dataset", "trainSize", "seed"];

    /// <summary>What early stopping saved; null when no run stopped early.</summary>
    public EarlyStopSavings? EarlyStopping { get; init; }

    public static SearchAnalysis Build(IEnumerable<RunRow> runs, int top = DefaultTop)
    {
        runs = runs.ToList();
        var configurations = ReplicateGroups.Of(runs);
        var evaluations = ResultPivot.OrderEvaluations(configurations.SelectMany(c => c.Replicates.SelectMany(r => r.TestLoss.Keys)));
        var varying = ReplicateGroups.VaryingSettings(configurations);

        var best = evaluations.SelectMany(evaluation => configurations
                .Select(c => (Configuration: c, Loss: c.Summary(evaluation)))
                .Where(x => x.Loss is not null)
                .OrderBy(x => x.Loss!.Mean)
                .Take(top)
                .Select((x, i) => new RankedConfiguration(evaluation, i + 1, x.Loss!, x.Configuration)))
            .ToList();

        var efficiency = new List<EfficiencyPoint>();
        foreach (var dataset in configurations.GroupBy(c => c.Setting("dataset")))
            foreach (var evaluation in evaluations)
                foreach (var size in dataset.GroupBy(c => int.Parse(c.Setting("trainSize"), System.Globalization.CultureInfo.InvariantCulture)).OrderBy(g => g.Key))
                {
                    var chosen = size
                        .Select(c => (Configuration: c, Loss: c.Summary(evaluation)))
                        .Where(x => x.Loss is not null)
                        .OrderBy(x => x.Loss!.Mean)
                        .FirstOrDefault();
                    if (chosen.Loss is not null)
                        efficiency.Add(new EfficiencyPoint(dataset.Key, evaluation, size.Key, chosen.Loss, chosen.Configuration, chosen.Configuration.LossBySeed(evaluation)));
                }

        // Every later evaluation against every earlier one in the paper's order (GFE-amd - AE, Mixed - AE, ...).
        var paired = new List<PairedComparison>();
        foreach (var group in efficiency.GroupBy(p => (p.Dataset, p.TrainSize)))
        {
            var points = group.ToList();
            for (int j = 0; j < points.Count; j++)
                for (int i = 0; i < j; i++)
                {
                    var (a, b) = (points[j], points[i]);
                    var seeds = a.LossBySeed.Keys.Intersect(b.LossBySeed.Keys).OrderBy(s => s, StringComparer.Ordinal).ToList();
                    if (seeds.Count == 0) continue;
                    var test = SampleStatistics.Paired(seeds.Select(s => a.LossBySeed[s]).ToList(), seeds.Select(s => b.LossBySeed[s]).ToList());
                    paired.Add(new PairedComparison(group.Key.Dataset, group.Key.TrainSize, a.Evaluation, b.Evaluation, seeds, test));
                }
        }

        return new SearchAnalysis(configurations, evaluations, varying, best, efficiency, paired)
        {
            ToReach = Reach(efficiency),
            EarlyStopping = EarlyStopSavings.Of(runs),
        };
    }

    static List<ImagesToReach> Reach(IReadOnlyList<EfficiencyPoint> efficiency)
    {
        var reach = new List<ImagesToReach>();
        foreach (var dataset in efficiency.GroupBy(p => p.Dataset))
        {
            // Train size 0 (the whole split) has no place on a size axis here.
            var curves = dataset.Where(p => p.TrainSize > 0).GroupBy(p => p.Evaluation)
                .Select(g => g.OrderBy(p => p.TrainSize).ToList())
                .Where(c => c.Count > 1)
                .ToList();
            if (curves.Count == 0) continue;
            double target = curves.Max(c => c.Min(p => p.Loss.Mean));
            foreach (var curve in curves)
            {
                int first = curve.FindIndex(p => p.Loss.Mean <= target);
                if (first == 0)
                {
                    reach.Add(new ImagesToReach(dataset.Key, target, curve[0].Evaluation, curve[0].TrainSize, AtMost: true));
                    continue;
                }
                var (above, below) = (curve[first - 1], curve[first]);
                double t = (above.Loss.Mean - target) / (above.Loss.Mean - below.Loss.Mean);
                double log = Math.Log10(above.TrainSize) + t * (Math.Log10(below.TrainSize) - Math.Log10(above.TrainSize));
                reach.Add(new ImagesToReach(dataset.Key, target, curve[0].Evaluation, Math.Pow(10, log), AtMost: false));
            }
        }
        return reach;
    }

    /// <summary>The tuned settings that vary: what the search scatter plots show.</summary>
    public IReadOnlyList<string> SampledSettings => VaryingSettings.Where(s => !NotTuned.Contains(s)).ToList();
}
