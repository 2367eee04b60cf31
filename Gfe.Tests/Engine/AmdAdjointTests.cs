using Gfe.Engine.Data;
using Gfe.Engine.Flows;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>The exact adjoint over AMD's accepted points (docs/method.md §3d): the recorded path, and training with it.</summary>
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
    public void PerSampleAmdRecordsOnePathPerImage_EachEndingAtItsOwnTime()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(5, CPU);
        using var decoder = new Decoder(generator);
        var images = SyntheticImages.Make(3, 4);
        var x = torch.tensor(images.Pixels, [3, ImageSet.ImageSize]);
        var z0 = LatentStart.Draw(LatentInit.Uniform, 3, generator, CPU);
        var solver = new AmdSolver(new AmdOptions { Tau = 300, Mode = AmdMode.PerSample });
        var trials = new List<AmdTrial>();
        var recorders = Enumerable.Range(0, 3).Select(_ => new TrajectoryRecorder()).ToArray();

        Assert.Throws<ArgumentException>(() => solver.Solve(decoder, x, z0, trajectory: new TrajectoryRecorder()));
        var solution = solver.Solve(decoder, x, z0, trials.Add, sampleTrajectories: recorders);

        for (int i = 0; i < 3; i++)
        {
            using var path = recorders[i].ToTrajectory();
            var accepted = trials.Where(t => t.Sample == i && t.Accepted).Select(t => t.Time + t.Advance);
            Assert.Equal([0.0, .. accepted], path.Times);
            Assert.Equal(solution.SampleTimes[i], path.Times[^1]);
            Assert.True(path.Final.allclose(solution.Latent.narrow(0, i, 1), rtol: 0, atol: 0), $"image {i}'s path ends at its z*");
        }
    }

    [Fact]
    public void WithOneImagePerBatch_PerSampleAdjointTrainingEqualsBatchAdjointTraining()
    {
        // Per-sample AMD with B = 1 is batch-coupled AMD with B = 1 (AmdPerSampleTests), so the adjoint must agree too.
        var batch = new RunConfig
        {
            Method = RunMethod.GfeAmd, Gradient = GradientMode.Adjoint, Dataset = "synthetic", TrainSize = 4,
            BatchSize = 1, TestBatchSize = 1, TestSize = 2, Seed = 7, LearningRate = 2e-3, Amd = new AmdOptions { Tau = 150 },
        };
        var perSample = batch with { Amd = batch.Amd with { Mode = AmdMode.PerSample } };

        var a = RunExecutor.Execute(batch, Data, null, CancellationToken.None);
        var b = RunExecutor.Execute(perSample, Data, null, CancellationToken.None);

        Assert.Equal(a.Curve.Select(p => p.TrainLoss), b.Curve.Select(p => p.TrainLoss));
        Assert.Equal(a.TestLoss[Evaluations.GfeAmd], b.TestLoss[Evaluations.GfeAmd]);
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
