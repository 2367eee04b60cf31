using Gfe.Engine.Data;
using Gfe.Engine.Flows;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>The exact adjoint over AMD's accepted points (spec §3d): the recorded path, and training with it.</summary>
public class AmdAdjointTests
{
    static readonly DatasetSplits Data = SyntheticImages.Splits(trainCount: 24, testCount: 6);

    [Fact]
    public void TheRecordedPathIsZ0AndEveryAcceptedPoint_EndingAtZStar()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(5, CPU);
        using var decoder = new Decoder(generator);
        var images = SyntheticImages.Make(3, 4);
        var x = torch.tensor(images.Pixels, [3, ImageSet.ImageSize]);
        var z0 = LatentStart.Draw(LatentInit.Uniform, 3, generator, CPU);
        var trials = new List<AmdTrial>();
        var recorder = new TrajectoryRecorder();

        var solution = new AmdSolver(new AmdOptions { Tau = 300 }).Solve(decoder, x, z0, trials.Add, recorder);
        using var path = recorder.ToTrajectory();

        var acceptedTimes = trials.Where(t => t.Accepted).Select(t => t.Time + t.Advance);
        Assert.Equal([0.0, .. acceptedTimes], path.Times);
        Assert.Equal(solution.FinalTime, path.Times[^1]);
        Assert.True(path.States[0].allclose(z0, rtol: 0, atol: 0), "the path starts at z0");
        Assert.True(path.Final.allclose(solution.Latent, rtol: 0, atol: 0), "the path ends at z*");
    }

    [Fact]
    public void PerSampleAmdRefusesToRecordAPath()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(5, CPU);
        using var decoder = new Decoder(generator);
        var x = torch.rand(2, ImageSet.ImageSize, generator: generator);
        var solver = new AmdSolver(new AmdOptions { Tau = 300, Mode = AmdMode.PerSample });
        Assert.Throws<ArgumentException>(() => solver.Solve(decoder, x, torch.zeros(2, Decoder.LatentSize), trajectory: new TrajectoryRecorder()));
    }

    [Fact]
    public void AdjointTrainingOfGfeAmd_LowersTheLoss_AndTakesAnotherPathThanTheApproximateGradient()
    {
        var approximate = new RunConfig
        {
            Method = RunMethod.GfeAmd, Dataset = "synthetic", TrainSize = 24, BatchSize = 8, TestBatchSize = 3, Seed = 4,
            LearningRate = 2e-3, Amd = new AmdOptions { Tau = 200 },
        };
        var adjoint = approximate with { Gradient = GradientMode.Adjoint };

        var a = RunExecutor.Execute(approximate, Data, null, CancellationToken.None);
        var b = RunExecutor.Execute(adjoint, Data, null, CancellationToken.None);
        var again = RunExecutor.Execute(adjoint, Data, null, CancellationToken.None);

        // Same start, same first solve: the first batch's loss agrees; the updates differ, so later losses do not.
        Assert.Equal(a.Curve[0].TrainLoss, b.Curve[0].TrainLoss);
        Assert.NotEqual(a.Curve[^1].TrainLoss, b.Curve[^1].TrainLoss);
        Assert.True(b.Curve[^1].TrainLoss < b.Curve[0].TrainLoss, "adjoint training lowers the train loss");
        Assert.Equal(b.TestLoss[Evaluations.GfeAmd], again.TestLoss[Evaluations.GfeAmd]);
    }
}
