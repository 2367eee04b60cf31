using Gfe.Client.Running;
using Gfe.Engine.Runs;
using Xunit;

namespace Gfe.Tests.Client;

/// <summary>The search benchmark's replay: deterministic, and ASHA trains less than the full search.</summary>
public sealed class SearchBenchmarkTests
{
    static readonly SearchBenchmarkSettings Small = new() { Trials = 18, SweepSeeds = 2, Replicates = 2, TrainSize = 1800, FirstRung = 200, Workers = 3 };

    [Fact]
    public void The_replay_is_deterministic_and_asha_spends_less_than_training_every_trial_in_full()
    {
        var first = SearchBenchmark.Run(Small, CancellationToken.None);
        var again = SearchBenchmark.Run(Small, CancellationToken.None);

        Assert.Equal(first.Select(r => (r.Regret, r.AshaImages)), again.Select(r => (r.Regret, r.AshaImages)));
        foreach (var seed in first)
        {
            // Full: every trial's replicates to the end.
            Assert.Equal(18L * 2 * 1800, seed.FullImages);
            // ASHA trains every trial to the first rung and at least floor(18/3) = 6 of them on to the second
            // (600), 2 on to the end.
            Assert.True(seed.AshaImages >= 2 * (18 * 200 + 6 * 400 + 2 * 1200), $"{seed.AshaImages}");
            Assert.True(seed.AshaImages < seed.FullImages / 2, $"{seed.AshaImages}");
            Assert.True(seed.Regret >= 0);
            Assert.Equal(SimulatedObjective.Penalty * seed.BestDistance, seed.Regret, 9);
        }
    }

    [Fact]
    public void Invalid_settings_are_named()
    {
        var problems = (Small with { Trials = 0, Reduction = 1, FirstRung = 5000 }).Problems();
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("--trials", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--reduction", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--rung", StringComparison.Ordinal));
    }
}
