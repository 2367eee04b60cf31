using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>Evaluation curves (Figure 2) and reconstructions (Figure 3) of whole runs on small synthetic data.</summary>
public class EvalCurveTests
{
    static readonly DatasetSplits Data = SyntheticImages.Splits(trainCount: 64, testCount: 10);

    static RunConfig Config(RunMethod method) => new()
    {
        Method = method,
        Dataset = "synthetic",
        TrainSize = 40,
        BatchSize = 8,
        TestBatchSize = 5,
        Seed = 2,
        LearningRate = 2e-3,
        Amd = new AmdOptions { Tau = 200 },
        Flow = new FlowOptions { Points = 11, Tau = 200 },
    };

    static RunResult Execute(RunConfig config) => RunExecutor.Execute(config, Data, null, CancellationToken.None);

    [Theory]
    [InlineData(RunMethod.GfeAmd, new[] { Evaluations.GfeAmd })]
    [InlineData(RunMethod.Ae, new[] { Evaluations.Ae, Evaluations.Mixed })]
    [InlineData(RunMethod.GfeRk4, new[] { Evaluations.GfeRk4 })]
    public void Curve_StartsUntrained_HasAPointPerEvalEveryImages_AndEndsAtTheFinalTest(RunMethod method, string[] evaluations)
    {
        var plain = Execute(Config(method) with { Epochs = 2 });
        var config = Config(method) with { Epochs = 2, EvalEvery = 16, EvalSize = 1000 };
        var result = Execute(config);

        // At 0, after the batches that pass a multiple of 16 images, and at the end (2 epochs of 40 images).
        Assert.Equal([0L, 16, 32, 48, 64, 80], result.EvalCurve.Select(p => p.ImagesSeen));
        Assert.All(result.EvalCurve, p => Assert.Equal(evaluations.Order(StringComparer.Ordinal), p.TestLoss.Keys.Order(StringComparer.Ordinal)));
        // evalSize covers the 10 test images: the last point is the final test, bit for bit (same latent starts).
        Assert.Equal(result.TestLoss, result.EvalCurve[^1].TestLoss);
        // The trained evaluation improves (Mixed, the AE's decoder under AMD, need not after so few images).
        Assert.True(result.EvalCurve[^1].TestLoss[evaluations[0]] < result.EvalCurve[0].TestLoss[evaluations[0]]);
        Assert.True(result.EvalCurve.Zip(result.EvalCurve.Skip(1)).All(pair => pair.First.Seconds <= pair.Second.Seconds));
        // Evaluating does not change training: the run is the same as one without a curve.
        Assert.Equal(plain.TestLoss, result.TestLoss);
        Assert.Equal(plain.FinalTrainLoss, result.FinalTrainLoss);
        Assert.Empty(plain.EvalCurve);
    }

    [Fact]
    public void EvalSize_TakesTheFirstTestImages()
    {
        var small = Execute(Config(RunMethod.Ae) with { EvalEvery = 40, EvalSize = 5 });
        var matching = Execute(Config(RunMethod.Ae) with { TestSize = 5 });

        Assert.Equal([0L, 40], small.EvalCurve.Select(p => p.ImagesSeen));
        Assert.Equal(matching.TestLoss[Evaluations.Ae], small.EvalCurve[^1].TestLoss[Evaluations.Ae]);
        Assert.NotEqual(small.TestLoss[Evaluations.Ae], small.EvalCurve[^1].TestLoss[Evaluations.Ae]);
    }

    [Theory]
    [InlineData(RunMethod.GfeAmd, new[] { Evaluations.GfeAmd })]
    [InlineData(RunMethod.Ae, new[] { Evaluations.Ae, Evaluations.Mixed })]
    [InlineData(RunMethod.GfeRk4, new[] { Evaluations.GfeRk4 })]
    public void Reconstructions_AreTheFirstTestImages_AndPixelsInTheUnitInterval(RunMethod method, string[] evaluations)
    {
        var result = Execute(Config(method) with { TrainSize = 16, Reconstructions = 3 });

        var shown = result.Reconstructions!;
        Assert.Equal(3, shown.Count);
        Assert.Equal(Data.Test.Pixels[..(3 * ImageSet.ImageSize)], shown.Originals);
        Assert.Equal(evaluations.Order(StringComparer.Ordinal), shown.Reconstructed.Keys.Order(StringComparer.Ordinal));
        foreach (var pixels in shown.Reconstructed.Values)
        {
            Assert.Equal(3 * ImageSet.ImageSize, pixels.Length);
            Assert.All(pixels, p => Assert.InRange(p, 0f, 1f));
            Assert.NotEqual(pixels[..ImageSet.ImageSize], pixels[ImageSet.ImageSize..(2 * ImageSet.ImageSize)]);
        }
        Assert.Null(Execute(Config(method) with { TrainSize = 8 }).Reconstructions);
    }
}
