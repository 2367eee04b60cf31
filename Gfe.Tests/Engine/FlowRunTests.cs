using Gfe.Engine.Data;
using Gfe.Engine.Flows;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>Whole gfe-rk4 and gfe-nesterov runs on small synthetic data, through <see cref="RunExecutor"/>.</summary>
public class FlowRunTests
{
    static readonly DatasetSplits Data = SyntheticImages.Splits(trainCount: 64, testCount: 12);

    /// <summary>
    /// A short horizon on a coarse grid keeps each run around a second. The learning rate is the reference's 5e-4:
    /// at 2e-3 the exact gradient steers the decoder into landscapes where RK4 with this coarse step is unstable.
    /// </summary>
    static RunConfig Config(RunMethod method, GradientMode gradient = GradientMode.Approximate) => new()
    {
        Method = method,
        Gradient = gradient,
        Dataset = "synthetic",
        TrainSize = 48,
        BatchSize = 8,
        TestBatchSize = 5,
        Seed = 3,
        Flow = new FlowOptions { Points = 11, Tau = 400 },
    };

    static RunResult Execute(RunConfig config) => RunExecutor.Execute(config, Data, null, CancellationToken.None);

    /// <summary>The test loss of the untrained decoder with the run's own flow encoding the test images.</summary>
    static double UntrainedLoss(RunConfig config)
    {
        using var generator = new Generator((ulong)config.Seed, CPU);
        using var decoder = new Decoder(generator);
        var grid = TimeGrid.From(config.Flow);
        Func<Tensor, Tensor, LatentTrajectory> solve = config.Method == RunMethod.GfeNesterov
            ? (x, z0) => new NesterovFlow(grid, config.Flow.NesterovEps).Solve(decoder, x, z0)
            : (x, z0) => new GradientFlow(grid).Solve(decoder, x, z0);
        return TestEvaluation.MeanLoss(LossKind.Bce, Data.Test, config.TestBatchSize,
            x => decoder.forward(solve(x, torch.zeros(x.shape[0], Decoder.LatentSize)).Final), CPU, null,
            CancellationToken.None);
    }

    /// <summary>flow.kernel auto (the native kernel on a CPU) unless the case names torch.</summary>
    [Theory]
    [InlineData(RunMethod.GfeRk4, GradientMode.Approximate, AdjointStepper.Rk4, "GFE-rk4", AmdKernel.Auto)]
    [InlineData(RunMethod.GfeRk4, GradientMode.Approximate, AdjointStepper.Rk4, "GFE-rk4", AmdKernel.Torch)]
    [InlineData(RunMethod.GfeRk4, GradientMode.Adjoint, AdjointStepper.Rk4, "GFE-rk4", AmdKernel.Auto)]
    [InlineData(RunMethod.GfeRk4, GradientMode.Adjoint, AdjointStepper.Euler, "GFE-rk4", AmdKernel.Auto)]
    [InlineData(RunMethod.GfeRk4, GradientMode.Adjoint, AdjointStepper.Rk4, "GFE-rk4", AmdKernel.Torch)]
    [InlineData(RunMethod.GfeNesterov, GradientMode.Approximate, AdjointStepper.Rk4, "GFE-2nd", AmdKernel.Auto)]
    [InlineData(RunMethod.GfeNesterov, GradientMode.Adjoint, AdjointStepper.Rk4, "GFE-2nd", AmdKernel.Auto)]
    [InlineData(RunMethod.GfeNesterov, GradientMode.Adjoint, AdjointStepper.Rk4, "GFE-2nd", AmdKernel.Torch)]
    public void TrainingLowersTheTestLoss(RunMethod method, GradientMode gradient, AdjointStepper stepper, string column, AmdKernel kernel)
    {
        var config = Config(method, gradient) with { Flow = Config(method).Flow with { AdjointStepper = stepper, Kernel = kernel } };
        var result = Execute(config);
        double untrained = UntrainedLoss(config);

        Assert.Equal([column], result.TestLoss.Keys);
        Assert.True(result.TestLoss[column] < untrained - 0.01, $"trained {result.TestLoss[column]} vs untrained {untrained}");
        Assert.Equal(48, result.ImagesSeen);
        Assert.Equal(12, result.TestImages);
        Assert.Equal(AmdStatistics.None, result.TrainAmd);
        Assert.True(result.Curve[^1].TrainLoss < result.Curve[0].TrainLoss);
    }

    [Fact]
    public void AdjointTrainingTakesADifferentPathThanTheApproximateGradient()
    {
        var approximate = Execute(Config(RunMethod.GfeRk4) with { TrainSize = 16 });
        var adjoint = Execute(Config(RunMethod.GfeRk4, GradientMode.Adjoint) with { TrainSize = 16 });
        var again = Execute(Config(RunMethod.GfeRk4, GradientMode.Adjoint) with { TrainSize = 16 });

        Assert.NotEqual(approximate.TestLoss[Evaluations.GfeRk4], adjoint.TestLoss[Evaluations.GfeRk4]);
        // The first batch's loss is the same (same start, same flow); only the updates differ.
        Assert.Equal(approximate.Curve[0].TrainLoss, adjoint.Curve[0].TrainLoss);
        Assert.Equal(adjoint.TestLoss[Evaluations.GfeRk4], again.TestLoss[Evaluations.GfeRk4]);
    }

    [Fact]
    public void NesterovAdjointTrainingIsReproducibleAndDiffersFromTheApproximateGradient()
    {
        var approximate = Execute(Config(RunMethod.GfeNesterov) with { TrainSize = 16 });
        var adjoint = Execute(Config(RunMethod.GfeNesterov, GradientMode.Adjoint) with { TrainSize = 16 });
        var again = Execute(Config(RunMethod.GfeNesterov, GradientMode.Adjoint) with { TrainSize = 16 });

        Assert.NotEqual(approximate.TestLoss[Evaluations.GfeNesterov], adjoint.TestLoss[Evaluations.GfeNesterov]);
        Assert.Equal(approximate.Curve[0].TrainLoss, adjoint.Curve[0].TrainLoss);
        Assert.Equal(adjoint.TestLoss[Evaluations.GfeNesterov], again.TestLoss[Evaluations.GfeNesterov]);
        Assert.Equal(adjoint.Curve.Select(p => p.TrainLoss), again.Curve.Select(p => p.TrainLoss));
    }

    [Fact]
    public void UnsupportedCombinationsFailWithTheSettingNamed()
    {
        var logBase = Assert.Throws<RunFailedException>(() =>
            Execute(Config(RunMethod.GfeRk4) with { Flow = new FlowOptions { Grid = FlowGrid.Log, LogBase = 1 } }));
        Assert.Contains("flow.logBase", logBase.Message);
    }

    [Fact]
    public void FlowSettingsParseFromSweepText()
    {
        var config = RunParameters.FromDictionary(new Dictionary<string, string>
        {
            ["method"] = "gfe-nesterov", ["gradient"] = "adjoint", ["flow.points"] = "50", ["flow.grid"] = "log",
            ["flow.logBase"] = "6", ["flow.tau"] = "1.5e4", ["flow.nesterovEps"] = "1e-4", ["flow.z0"] = "uniform",
            ["adjoint.stepper"] = "euler", ["flow.kernel"] = "native",
        });

        Assert.Equal(RunMethod.GfeNesterov, config.Method);
        Assert.Equal(GradientMode.Adjoint, config.Gradient);
        Assert.Equal(new FlowOptions
        {
            Points = 50, Grid = FlowGrid.Log, LogBase = 6, Tau = 1.5e4, NesterovEps = 1e-4, Z0 = LatentInit.Uniform,
            AdjointStepper = AdjointStepper.Euler, Kernel = AmdKernel.Native,
        }, config.Flow);
        var text = RunParameters.ToList(config).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("gfe-nesterov", text["method"]);
        Assert.Equal("log", text["flow.grid"]);
        Assert.Equal("euler", text["adjoint.stepper"]);
        Assert.Equal("native", text["flow.kernel"]);
        Assert.Equal(config, RunParameters.FromDictionary(text));

        var defaults = new RunConfig();
        Assert.Equal(GradientMode.Approximate, defaults.Gradient);
        Assert.Equal(new FlowOptions { Points = 100, Tau = 1e4, Grid = FlowGrid.Linear, Z0 = LatentInit.Zero }, defaults.Flow);
        var bad = Assert.Throws<RunConfigException>(() => RunParameters.Apply(defaults, "flow.points", "1"));
        Assert.Contains("flow.points", bad.Message);
    }
}
