using System.Globalization;
using Gfe.Client.Sweeps;
using Gfe.Engine.Runs;
using Gfe.Engine.Search;

namespace Gfe.Client.Running;

/// <summary>Settings of <c>gfe bench search</c>.</summary>
public sealed record SearchBenchmarkSettings
{
    public int Trials { get; init; } = 64;
    public int SweepSeeds { get; init; } = 10;
    public int Replicates { get; init; } = 3;
    public int TrainSize { get; init; } = 2700;
    public long FirstRung { get; init; } = 200;
    public int Reduction { get; init; } = 3;

    /// <summary>Runs training at once in the simulated cluster (ASHA's decisions depend on the order runs finish).</summary>
    public int Workers { get; init; } = 8;

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Trials < 1) problems.Add($"--trials must be at least 1, not {Trials}");
        if (SweepSeeds < 1) problems.Add($"--sweep-seeds must be at least 1, not {SweepSeeds}");
        if (Replicates < 1) problems.Add($"--replicates must be at least 1, not {Replicates}");
        if (TrainSize < 1) problems.Add($"--train-size must be at least 1, not {TrainSize}");
        if (FirstRung < 1 || FirstRung > TrainSize) problems.Add($"--rung must be between 1 and the train size, not {FirstRung}");
        if (Reduction < 2) problems.Add($"--reduction must be at least 2, not {Reduction}");
        if (Workers < 1) problems.Add($"--workers must be at least 1, not {Workers}");
        return problems;
    }

    /// <summary>The sweep file of one sweep seed: a random search of the simulated objective's three settings.</summary>
    public string SweepFile(int seed) => string.Create(CultureInfo.InvariantCulture, $"""
        name: bench-search
        search: {"{"}method: random, trials: {Trials}, seed: {seed}{"}"}
        replicates: [{string.Join(", ", Enumerable.Range(0, Replicates))}]
        grid:
          method: [simulate]
          lr: {"{"}loguniform: [1e-5, 1e-1]{"}"}
          batchSize: {"{"}int: [4, 256]{"}"}
          rmsAlpha: {"{"}uniform: [0.5, 0.999]{"}"}
        earlyStop: {"{"}rule: asha, metric: simulate, rungs: {FirstRung}, reduction: {Reduction}{"}"}
        settings:
          trainSize: {TrainSize}
          evalEvery: {FirstRung}
        """);
}

/// <summary>One sweep seed of the benchmark: what random search found, and ASHA against training every trial in full.</summary>
public sealed record SearchBenchmarkSeed(
    int Seed,
    double BestDistance,
    double Regret,
    bool AshaFoundTheSameBest,
    double AshaRegret,
    long AshaImages,
    long FullImages,
    IReadOnlyList<(long Images, double Best)> AshaProgress,
    IReadOnlyList<(long Images, double Best)> FullProgress)
{
    public double ImageFraction => (double)AshaImages / FullImages;
}

/// <summary>
/// <c>gfe bench search</c>: the search on the simulated objective (<see cref="SimulatedObjective"/>, known optimum),
/// without a cluster. For each sweep seed it expands the same sweep file as <c>gfe sweep run</c> would (random
/// search, replicates) and (1) measures how far the best trial (lowest replicate-mean final loss) is from the optimum,
/// and (2) replays the sweep with ASHA (<see cref="EarlyStopper"/>) on a simulated cluster of W workers, each run
/// segment taking time in proportion to its images, against training every trial in full: does ASHA pick the same
/// best configuration, and with what share of the training images?
/// </summary>
public static class SearchBenchmark
{
    public static IReadOnlyList<SearchBenchmarkSeed> Run(SearchBenchmarkSettings settings, CancellationToken cancel)
    {
        var results = new List<SearchBenchmarkSeed>();
        var optimum = SimulatedObjective.ExpectedFinalLoss(new RunConfig
        {
            TrainSize = settings.TrainSize, LearningRate = SimulatedObjective.OptimalLearningRate,
            BatchSize = SimulatedObjective.OptimalBatchSize, RmsAlpha = SimulatedObjective.OptimalRmsAlpha,
        });
        for (int seed = 0; seed < settings.SweepSeeds; seed++)
        {
            cancel.ThrowIfCancellationRequested();
            var sweep = SweepFileParser.Parse(settings.SweepFile(seed), $"bench-search-seed{seed}.yaml");
            var trials = sweep.Runs
                .GroupBy(r => r.Source)
                .Select(g => new Trial(g.Key, g.Select(r => r.Config).ToList()))
                .ToList();
            var rungs = EarlyStopper.RungImages(EarlyStopRule.Asha, settings.FirstRung, settings.Reduction, settings.TrainSize);

            var full = Simulate(trials, rungs, settings.Workers, earlyStop: null);
            var asha = Simulate(trials, rungs, settings.Workers, new EarlyStopper(EarlyStopRule.Asha, settings.Reduction));
            var best = full.Best!;
            results.Add(new SearchBenchmarkSeed(
                seed,
                SimulatedObjective.Distance(best.Replicates[0]),
                SimulatedObjective.ExpectedFinalLoss(best.Replicates[0]) - optimum,
                asha.Best?.Name == best.Name,
                asha.Best is null ? double.NaN : SimulatedObjective.ExpectedFinalLoss(asha.Best.Replicates[0]) - optimum,
                asha.Images,
                full.Images,
                asha.Progress,
                full.Progress));
        }
        return results;
    }

    sealed record Trial(string Name, IReadOnlyList<RunConfig> Replicates)
    {
        /// <summary>The decision metric at a rung: the mean over replicates of the evaluation there.</summary>
        public double MetricAt(long images) => Replicates.Average(c => SimulatedObjective.LossAt(c, images));
    }

    sealed record Replay(Trial? Best, long Images, IReadOnlyList<(long Images, double Best)> Progress);

    /// <summary>
    /// An event-driven replay of a sweep on <paramref name="workers"/> workers. A job trains a trial's replicates from
    /// one rung to the next (without early stopping: from the start to the end); a free worker takes the next
    /// promotion if the rule allows one, else starts the next trial, else idles. A trial that reaches the last rung
    /// is complete; the best is the complete trial with the lowest metric there.
    /// </summary>
    static Replay Simulate(IReadOnlyList<Trial> trials, IReadOnlyList<long> rungs, int workers, EarlyStopper? earlyStop)
    {
        var reached = new Dictionary<string, int>(StringComparer.Ordinal);
        var byName = trials.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var running = new PriorityQueue<(Trial Trial, int Rung, long Start), (double Time, int Order)>();
        int nextTrial = 0, order = 0;
        double now = 0;
        long images = 0;
        Trial? best = null;
        double bestMetric = double.PositiveInfinity;
        var progress = new List<(long, double)>();

        bool StartJob()
        {
            (Trial Trial, int Rung)? job = null;
            if (earlyStop?.NextPromotion(rungs.Count) is { } promotion)
                job = (byName[promotion.Configuration], promotion.FromRung + 1);
            else if (nextTrial < trials.Count)
                job = (trials[nextTrial++], earlyStop is null ? rungs.Count : 1);
            if (job is not { } next) return false;
            long start = reached.TryGetValue(next.Trial.Name, out var at) && at > 0 ? rungs[at - 1] : 0;
            running.Enqueue((next.Trial, next.Rung, start), (now + rungs[next.Rung - 1] - start, order++));
            return true;
        }

        while (true)
        {
            while (running.Count < workers && StartJob()) { }
            if (running.Count == 0) break;
            running.TryDequeue(out var done, out var finish);
            now = finish.Time;
            var (trial, rung, start) = done;
            images += (rungs[rung - 1] - start) * trial.Replicates.Count;
            reached[trial.Name] = rung;
            double metric = trial.MetricAt(rungs[rung - 1]);
            earlyStop?.Record(trial.Name, rung, metric);
            if (rung == rungs.Count && metric < bestMetric)
            {
                (best, bestMetric) = (trial, metric);
            }
            if (rung == rungs.Count) progress.Add((images, bestMetric));
        }
        return new Replay(best, images, progress);
    }
}
