using Gfe.Client.Sweeps;
using Gfe.Engine.Runs;
using Gfe.Engine.Search;
using Xunit;

namespace Gfe.Tests.Client;

/// <summary>The search sections of a sweep file: sampled trials, distributions, replicates, budget, early stopping.</summary>
public sealed class SweepSearchParserTests
{
    const string File = "search.yaml";

    const string RandomSearch = """
        search: {method: random, trials: 8, seed: 7}
        replicates: [0, 1, 2]
        grid:
          method: [simulate]
          lr: {loguniform: [1e-4, 1e-2]}
          batchSize: {int: [8, 64]}
          rmsAlpha: {uniform: [0.8, 0.99]}
          z0: {choice: [zero, uniform]}
        settings:
          trainSize: 480
        """;

    static SweepFile Parse(string yaml) => SweepFileParser.Parse(yaml, File);

    static string Invalid(string yaml) => Assert.Throws<SweepFileException>(() => Parse(yaml)).Message;

    [Fact]
    public void Random_search_runs_every_trial_once_per_replicate_with_values_inside_the_distributions()
    {
        var sweep = Parse(RandomSearch);

        Assert.Equal(SearchMethod.Random, sweep.Search.Method);
        Assert.Equal([0, 1, 2], sweep.Search.Replicates);
        Assert.Equal(8 * 3, sweep.Runs.Count);
        for (int trial = 0; trial < 8; trial++)
        {
            var runs = sweep.Runs.Skip(trial * 3).Take(3).ToList();
            Assert.All(runs, r => Assert.Equal($"trial {trial}", r.Source));
            Assert.Equal([0, 1, 2], runs.Select(r => r.Config.Seed));
            // The replicates of a trial share every setting but the seed.
            Assert.Single(runs.Select(r => r.Config with { Seed = 0 }).Distinct());
            var config = runs[0].Config;
            Assert.InRange(config.LearningRate, 1e-4, 1e-2);
            Assert.InRange(config.BatchSize, 8, 64);
            Assert.InRange(config.RmsAlpha, 0.8, 0.99);
            Assert.Contains(config.Z0, new[] { LatentInit.Zero, LatentInit.Uniform });
            Assert.Equal(480, config.TrainSize);
        }
        Assert.Equal(8, sweep.Runs.Select(r => r.Config.LearningRate).Distinct().Count());
    }

    [Fact]
    public void Sampling_is_deterministic_and_follows_the_search_seed()
    {
        var first = Parse(RandomSearch).Runs.Select(r => r.Key).ToList();
        var again = Parse(RandomSearch).Runs.Select(r => r.Key).ToList();
        var otherSeed = Parse(RandomSearch.Replace("seed: 7", "seed: 8")).Runs.Select(r => r.Key).ToList();

        Assert.Equal(first, again);
        Assert.NotEqual(first, otherSeed);
    }

    [Fact]
    public void Sampled_values_are_spread_by_their_distribution()
    {
        var yaml = RandomSearch.Replace("trials: 8", "trials: 400").Replace("replicates: [0, 1, 2]", "replicates: [0]");
        var configs = Parse(yaml).Runs.Select(r => r.Config).ToList();

        // loguniform on [1e-4, 1e-2]: half the draws below the geometric middle 1e-3.
        double below = configs.Count(c => c.LearningRate < 1e-3) / (double)configs.Count;
        Assert.InRange(below, 0.4, 0.6);
        // int on [8, 64]: both ends are drawn, nothing outside.
        Assert.Contains(configs, c => c.BatchSize == 8);
        Assert.Contains(configs, c => c.BatchSize == 64);
        Assert.Equal(2, configs.Select(c => c.Z0).Distinct().Count());
    }

    [Fact]
    public void A_list_axis_crosses_every_trial_so_methods_are_compared_on_the_same_trials()
    {
        var sweep = Parse("""
            search: {method: random, trials: 3}
            grid:
              method: [ae, gfe-amd]
              lr: {loguniform: [1e-4, 1e-2]}
            """);

        Assert.Equal(6, sweep.Runs.Count);
        foreach (var trial in sweep.Runs.GroupBy(r => r.Source))
        {
            Assert.Equal([RunMethod.Ae, RunMethod.GfeAmd], trial.Select(r => r.Config.Method));
            Assert.Single(trial.Select(r => r.Config.LearningRate).Distinct());
        }
    }

    [Fact]
    public void Sobol_points_fill_the_bins_of_every_dimension_evenly()
    {
        var sobol = new SobolSequence(SobolSequence.MaxDimensions);
        // The points 1..16 (the first, 0, skipped) and the 0 point together put one point in each of 16 bins per
        // dimension; without the 0 point, bin 0 is the empty one.
        var points = Enumerable.Range(0, 15).Select(_ => sobol.Next()).ToList();
        for (int d = 0; d < SobolSequence.MaxDimensions; d++)
        {
            var bins = points.Select(p => (int)(p[d] * 16)).ToList();
            Assert.Equal(15, bins.Distinct().Count());
            Assert.DoesNotContain(0, bins);
        }
        // The van der Corput sequence in the first dimension: 1/2, 3/4, 1/4, ... (Gray-code order).
        var first = new SobolSequence(1);
        Assert.Equal([0.5, 0.75, 0.25], Enumerable.Range(0, 3).Select(_ => first.Next()[0]));
    }

    [Fact]
    public void Sobol_search_is_deterministic()
    {
        var yaml = RandomSearch.Replace("method: random", "method: sobol");
        Assert.Equal(Parse(yaml).Runs.Select(r => r.Key), Parse(yaml).Runs.Select(r => r.Key));
        Assert.Equal(SearchMethod.Sobol, Parse(yaml).Search.Method);
    }

    [Fact]
    public void Grid_lists_take_replicates_and_the_budget_and_early_stop_are_read()
    {
        var sweep = Parse("""
            replicates: [3, 4]
            budget: {maxRuns: 10, maxHours: 1.5, maxTrainImages: 100000}
            earlyStop: {rule: asha, metric: simulate, rungs: 200, reduction: 3}
            grid:
              method: [simulate]
              lr: [1e-3, 1e-2]
            settings:
              evalEvery: 100
            """);

        Assert.Equal(SearchMethod.Grid, sweep.Search.Method);
        Assert.Equal([3, 4, 3, 4], sweep.Runs.Select(r => r.Config.Seed));
        Assert.Equal(new SweepBudget(10, 1.5, 100000), sweep.Search.Budget);
        Assert.Equal(new EarlyStop(EarlyStopRule.Asha, Evaluations.Simulate, 200, 3), sweep.Search.EarlyStop);
    }

    [Fact]
    public void A_file_without_search_sections_is_a_plain_grid()
    {
        var sweep = Parse("grid:\n  seed: [0, 1]\n");
        Assert.Equal(SearchMethod.Grid, sweep.Search.Method);
        Assert.Empty(sweep.Search.Replicates);
        Assert.Equal(SweepBudget.None, sweep.Search.Budget);
        Assert.Null(sweep.Search.EarlyStop);
        Assert.Equal(2, sweep.Runs.Count);
    }

    [Theory]
    [InlineData("lr: {uniform: [1e-2, 1e-4]}", "search.yaml:4:17: grid.lr.uniform: the range [0.01, 0.0001] is reversed")]
    [InlineData("lr: {loguniform: [0, 1e-2]}", "search.yaml:4:20: grid.lr.loguniform: loguniform bounds must be greater than 0")]
    [InlineData("rmsAlpha: {loguniform: [-1, 0.9]}", "grid.rmsAlpha.loguniform: loguniform bounds must be greater than 0")]
    [InlineData("lr: {int: [1, 3]}", "search.yaml:4:13: grid.lr.int: 'lr' is a real number: use {uniform: [a, b]} or {loguniform: [a, b]}")]
    [InlineData("batchSize: {uniform: [8, 64]}", "grid.batchSize.uniform: 'batchSize' is a whole number: use {int: [a, b]}")]
    [InlineData("batchSize: {int: [64, 8]}", "grid.batchSize.int: the range [64, 8] is reversed")]
    [InlineData("method: {choice: [ae, gfe-amd]}", "search.yaml:3:11: grid.method: 'method' cannot be a distribution")]
    [InlineData("dataset: {choice: [mnist]}", "search.yaml:4:12: grid.dataset: 'dataset' cannot be a distribution")]
    [InlineData("z0: {choice: []}", "search.yaml:4:16: grid.z0.choice: a choice must not be empty")]
    [InlineData("z0: {choice: [zero, sideways]}", "grid.z0.choice: 'z0' must be one of")]
    [InlineData("z0: {uniform: [0, 1]}", "grid.z0.uniform: 'z0' is not a number: use {choice: [...]}")]
    [InlineData("lr: {normal: [0, 1]}", "grid.lr.normal: unknown distribution")]
    [InlineData("lr: {uniform: [-1, 1]}", "grid.lr.uniform: 'lr' must be positive")]
    [InlineData("seed: {int: [0, 9]}", "grid.seed: seeds are not sampled")]
    public void Bad_distributions_are_reported_with_their_place(string axis, string message)
    {
        // The method axis comes last, so that a test of a distribution on it does not give it twice.
        var text = Invalid(axis.StartsWith("method", StringComparison.Ordinal)
            ? $"search: {{method: random, trials: 4}}\ngrid:\n  {axis}\n  lr: {{uniform: [0.1, 0.2]}}\n"
            : $"search: {{method: random, trials: 4}}\ngrid:\n  method: [simulate]\n  {axis}\n");
        Assert.Contains(message, text);
    }

    [Theory]
    [InlineData("search: {method: random, trials: 0}\ngrid:\n  lr: {uniform: [0.1, 0.2]}\n", "search.yaml:1:34: search.trials: must be a whole number of at least 1, not '0'")]
    [InlineData("search: {method: random}\ngrid:\n  lr: {uniform: [0.1, 0.2]}\n", "search.yaml:1:18: search.trials: a random search needs 'trials: N'")]
    [InlineData("search: {method: bayes, trials: 3}\ngrid:\n  lr: [0.1]\n", "search.yaml:1:18: search.method: must be grid, random or sobol, not 'bayes'")]
    [InlineData("grid:\n  lr: {uniform: [0.1, 0.2]}\n", "search.yaml:2:7: grid.lr: a distribution needs a sampled search")]
    [InlineData("search: {method: random, trials: 3}\ngrid:\n  lr: [0.1, 0.2]\n", "search.yaml:1:18: search.method: a sampled search needs at least one grid axis written as a distribution")]
    [InlineData("replicates: []\ngrid:\n  lr: [0.1]\n", "search.yaml:1:13: replicates: must not be empty")]
    [InlineData("replicates: [0, 0]\ngrid:\n  lr: [0.1]\n", "search.yaml:1:17: replicates: seed 0 is given twice")]
    [InlineData("replicates: [0]\ngrid:\n  seed: [1]\n", "search.yaml:1:13: replicates: the replicates are the seeds")]
    [InlineData("budget: {maxRuns: 3}\ngrid:\n  lr: [0.1, 0.2]\n  seed: [0, 1]\n", "search.yaml:1:19: budget.maxRuns: the sweep expands to 4 runs, more than the budget of 3")]
    [InlineData("budget: {maxTrainImages: 900}\ngrid:\n  lr: [0.1, 0.2]\nsettings:\n  trainSize: 480\n", "search.yaml:1:26: budget.maxTrainImages: the sweep trains 960 images in all, more than the budget of 900")]
    [InlineData("budget: {maxHours: 0}\ngrid:\n  lr: [0.1]\n", "budget.maxHours: must be a positive number, not '0'")]
    [InlineData("budget: {maxMinutes: 5}\ngrid:\n  lr: [0.1]\n", "search.yaml:1:10: budget.maxMinutes: unknown key")]
    [InlineData("earlyStop: {rule: asha, metric: simulate, rungs: 100}\ngrid:\n  lr: [0.1]\n", "search.yaml:1:12: earlyStop: early stopping reads the evaluation curve: set 'evalEvery'")]
    [InlineData("earlyStop: {rule: asha, metric: simulate, rungs: 150}\ngrid:\n  lr: [0.1]\nsettings:\n  evalEvery: 100\n", "search.yaml:1:50: earlyStop.rungs: must be a multiple of evalEvery (100)")]
    [InlineData("earlyStop: {rule: hyperband, metric: loss, rungs: 100, reduction: 1}\ngrid:\n  lr: [0.1]\nsettings:\n  evalEvery: 100\n", "earlyStop.rule: must be asha or median, not 'hyperband'")]
    public void Bad_search_sections_are_reported_with_their_place(string yaml, string message)
    {
        Assert.Contains(message, Invalid(yaml));
    }

    [Fact]
    public void Every_problem_of_the_search_sections_is_reported_together()
    {
        var text = Invalid("earlyStop: {rule: hyperband, metric: loss, rungs: 100, reduction: 1}\ngrid:\n  lr: [0.1]\nsettings:\n  evalEvery: 100\n");
        Assert.Contains("earlyStop.rule:", text);
        Assert.Contains("earlyStop.metric: must be an evaluation", text);
        Assert.Contains("earlyStop.reduction: must be a whole number of at least 2", text);
    }
}
