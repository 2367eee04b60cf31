using Gfe.Engine.Runs;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>The simulated run's objective: a known optimum, replicate noise, and an evaluation curve like a real run's.</summary>
public sealed class SimulatedObjectiveTests
{
    static readonly RunConfig Optimum = new()
    {
        Method = RunMethod.Simulate, TrainSize = 400, SimulateSeconds = 0.01,
        LearningRate = SimulatedObjective.OptimalLearningRate, BatchSize = SimulatedObjective.OptimalBatchSize, RmsAlpha = SimulatedObjective.OptimalRmsAlpha,
    };

    [Fact]
    public void The_expected_final_loss_is_lowest_at_the_stated_optimum_and_known_in_closed_form()
    {
        Assert.Equal(0, SimulatedObjective.Distance(Optimum), 12);
        Assert.Equal(0.05 + 1 / 20.0, SimulatedObjective.ExpectedFinalLoss(Optimum), 12);
        // lr ten times too large: d = 1; batch 128: 0.25 * 2^2 = 1; alpha 0.85: 10 * 0.01 = 0.1.
        Assert.Equal(1, SimulatedObjective.Distance(Optimum with { LearningRate = 1e-2 }), 12);
        Assert.Equal(1, SimulatedObjective.Distance(Optimum with { BatchSize = 128 }), 12);
        Assert.Equal(0.1, SimulatedObjective.Distance(Optimum with { RmsAlpha = 0.85 }), 12);
        Assert.True(SimulatedObjective.ExpectedFinalLoss(Optimum with { LearningRate = 2e-3 }) > SimulatedObjective.ExpectedFinalLoss(Optimum));
    }

    [Fact]
    public void Replicates_differ_by_small_noise_and_a_run_repeats_exactly()
    {
        var losses = Enumerable.Range(0, 200).Select(seed => SimulatedObjective.FinalLoss(Optimum with { Seed = seed })).ToList();
        Assert.True(losses.Distinct().Count() > 190);
        double mean = losses.Average();
        double std = Math.Sqrt(losses.Sum(l => (l - mean) * (l - mean)) / (losses.Count - 1));
        Assert.InRange(std, 0.7 * SimulatedObjective.NoiseStd, 1.3 * SimulatedObjective.NoiseStd);
        Assert.InRange(mean, SimulatedObjective.ExpectedFinalLoss(Optimum) - 0.001, SimulatedObjective.ExpectedFinalLoss(Optimum) + 0.001);
        Assert.Equal(SimulatedObjective.FinalLoss(Optimum with { Seed = 3 }), SimulatedObjective.FinalLoss(Optimum with { Seed = 3, EvalEvery = 100 }));
    }

    [Fact]
    public void A_simulated_run_records_its_evaluation_curve_and_ends_at_its_final_loss()
    {
        var config = Optimum with { EvalEvery = 150, Epochs = 2 };
        var result = RunExecutor.Execute(config, null, null, CancellationToken.None);

        Assert.Equal(800, result.ImagesSeen);
        Assert.Equal([0L, 150, 300, 450, 600, 750, 800], result.EvalCurve.Select(p => p.ImagesSeen));
        var losses = result.EvalCurve.Select(p => p.TestLoss[Evaluations.Simulate]).ToList();
        Assert.True(losses.Zip(losses.Skip(1)).All(pair => pair.Second < pair.First), "the curve falls");
        Assert.Equal(SimulatedObjective.LossAt(config, 800), result.TestLoss[Evaluations.Simulate], 12);
        Assert.Equal(SimulatedObjective.FinalLoss(config), losses[^1], 12);
        Assert.Equal(SimulatedObjective.FinalLoss(config) + SimulatedObjective.Gap, losses[0], 12);
    }

    [Fact]
    public void A_too_large_learning_rate_looks_better_early_and_ends_worse()
    {
        var slow = Optimum with { TrainSize = 20_000 };
        var fast = slow with { LearningRate = 1e-2 };
        Assert.True(SimulatedObjective.LossAt(fast, 1000) < SimulatedObjective.LossAt(slow, 1000));
        Assert.True(SimulatedObjective.LossAt(fast, 20_000) > SimulatedObjective.LossAt(slow, 20_000) + 0.04);
    }
}
