using Gfe.Engine.Data;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using Gfe.Engine.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>Whole GFE-amd and AE runs on small synthetic data, through <see cref="RunExecutor"/>.</summary>
public class RunExecutorTests
{
    static readonly DatasetSplits Data = SyntheticImages.Splits(trainCount: 64, testCount: 12);

    /// <summary>A short AMD horizon and a brisk learning rate keep each run well under a second or two.</summary>
    static RunConfig Config(RunMethod method, int seed = 3) => new()
    {
        Method = method,
        Dataset = "synthetic",
        TrainSize = 60,
        BatchSize = 8,
        TestBatchSize = 5,
        Seed = seed,
        LearningRate = 2e-3,
        CurveEvery = 3,
        Amd = new AmdOptions { Tau = 200 },
    };

    static RunResult Execute(RunConfig config, IProgress<RunProgress>? progress = null) =>
        RunExecutor.Execute(config, Data, progress, CancellationToken.None);

    /// <summary>The test loss of the untrained decoder with AMD encoding, as the run would evaluate it.</summary>
    static double UntrainedAmdLoss(RunConfig config, Func<Generator, Decoder> build)
    {
        using var generator = new Generator((ulong)config.Seed, CPU);
        var decoder = build(generator);
        return TestEvaluation.AmdLoss(decoder, new AmdSolver(config.Amd), Data.Test, config, generator, CPU, null,
            CancellationToken.None).Loss;
    }

    [Fact]
    public void GfeAmdTrainingLowersTheTestLoss()
    {
        var config = Config(RunMethod.GfeAmd);
        var progress = new List<RunProgress>();
        var result = Execute(config, new SynchronousProgress(progress));
        double untrained = UntrainedAmdLoss(config, g => new Decoder(g));

        Assert.Equal([Evaluations.GfeAmd], result.TestLoss.Keys);
        Assert.True(result.TestLoss[Evaluations.GfeAmd] < untrained - 0.01,
            $"trained {result.TestLoss[Evaluations.GfeAmd]} vs untrained {untrained}");
        Assert.Equal(60, result.ImagesSeen);
        Assert.Equal(12, result.TestImages);
        Assert.Equal("cpu", result.Device);
        Assert.Equal("synthetic test images", result.DataProvenance);
        Assert.Equal(("torch", ""), (result.AmdKernel, result.Simd));   // this config's AmdOptions keep the torch path
        // 60 images in batches of 8: 7 full batches and a partial one; 3 test batches of 5, 5, 2.
        Assert.Equal(8, result.TrainAmd.Solves);
        Assert.Equal(3, result.TestAmd.Solves);
        Assert.True(result.TrainAmd.AcceptedSteps >= 8 * 20);
        // The curve every 3 batches, plus the last batch.
        Assert.Equal([24L, 48L, 60L], result.Curve.Select(p => p.ImagesSeen));
        Assert.Equal(result.Curve[^1].TrainLoss, result.FinalTrainLoss);
        Assert.True(result.Curve[^1].TrainLoss < result.Curve[0].TrainLoss);

        Assert.Equal("train", progress[0].Phase);
        Assert.Equal(1.0, progress.Last(p => p.Phase == "train").Fraction);
        Assert.Equal("test", progress[^1].Phase);
        Assert.Equal(1.0, progress[^1].Fraction);
    }

    /// <summary>amd.kernel auto (the setting's default) runs the native kernel on a CPU, and the result says so.</summary>
    [Fact]
    public void Auto_kernel_runs_native_on_the_cpu_and_records_it()
    {
        var config = Config(RunMethod.GfeAmd) with { TrainSize = 16, Amd = new AmdOptions { Tau = 50, Kernel = AmdKernel.Auto } };
        var result = Execute(config);
        var native = Execute(config with { Amd = config.Amd with { Kernel = AmdKernel.Native } });

        Assert.Equal("native", result.AmdKernel);
        Assert.NotNull(Gfe.Engine.Kernels.SimdPaths.Parse(result.Simd));
        Assert.Equal(native.TestLoss[Evaluations.GfeAmd], result.TestLoss[Evaluations.GfeAmd]);
        Assert.Equal(native.TrainAmd, result.TrainAmd);
    }

    [Fact]
    public void AeTrainingLowersTheTestLossAndReportsMixed()
    {
        var config = Config(RunMethod.Ae);
        var result = Execute(config);

        using var generator = new Generator((ulong)config.Seed, CPU);
        using var untrained = new Autoencoder(generator);
        double untrainedAe = TestEvaluation.MeanLoss(LossKind.Bce, Data.Test, 5, untrained.forward, CPU, null, CancellationToken.None);

        Assert.Equal([Evaluations.Ae, Evaluations.Mixed], result.TestLoss.Keys.Order(StringComparer.Ordinal));
        Assert.True(result.TestLoss[Evaluations.Ae] < untrainedAe - 0.01,
            $"trained {result.TestLoss[Evaluations.Ae]} vs untrained {untrainedAe}");
        Assert.True(double.IsFinite(result.TestLoss[Evaluations.Mixed]));
        Assert.Equal(AmdStatistics.None, result.TrainAmd);
        Assert.Equal(3, result.TestAmd.Solves);
    }

    [Theory]
    [InlineData(RunMethod.GfeAmd)]
    [InlineData(RunMethod.Ae)]
    public void SameConfigGivesBitIdenticalResults(RunMethod method)
    {
        var config = Config(method) with { TrainSize = 24 };
        var first = Execute(config);
        var second = Execute(config);
        var otherSeed = Execute(config with { Seed = 4 });

        AssertSameOutcome(first, second);
        Assert.NotEqual(first.TestLoss.Values.First(), otherSeed.TestLoss.Values.First());
    }

    [Fact]
    public void EvaluatingOneModelRepeatedlyGivesBitIdenticalLosses()
    {
        // A trained AE saturates some pixels, where a last-bit difference in the logits shows in the loss; this
        // caught batches whose memory alignment varied between calls (see ImageBatch.Slice).
        var config = Config(RunMethod.Ae) with { TrainSize = 24, Seed = 5 };
        using var generator = new Generator((ulong)config.Seed, CPU);
        using var autoencoder = new Autoencoder(generator);
        TrainingLoop.Run(autoencoder, images => ReconstructionLoss.BatchSum(LossKind.Bce, autoencoder.forward(images), images),
            TrainingSubset.FirstOfShuffle(Data.Train, config.TrainSize, config.Seed), config, CPU, null, CancellationToken.None);

        var losses = Enumerable.Range(0, 6)
            .Select(_ => TestEvaluation.MeanLoss(LossKind.Bce, Data.Test, 5, autoencoder.forward, CPU, null, CancellationToken.None))
            .ToList();
        Assert.All(losses, loss => Assert.Equal(losses[0], loss));
    }

    [Fact]
    public void ConcurrentRunsMatchSequentialRuns()
    {
        var gfe = Config(RunMethod.GfeAmd) with { TrainSize = 24 };
        var ae = Config(RunMethod.Ae, seed: 5) with { TrainSize = 24 };
        var sequential = new[] { Execute(gfe), Execute(ae) };

        var concurrent = new RunResult?[2];
        var threads = new[]
        {
            new Thread(() => concurrent[0] = Execute(gfe)),
            new Thread(() => concurrent[1] = Execute(ae)),
        };
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();

        AssertSameOutcome(sequential[0], concurrent[0]!);
        AssertSameOutcome(sequential[1], concurrent[1]!);
    }

    static void AssertSameOutcome(RunResult expected, RunResult actual)
    {
        Assert.Equal(expected.TestLoss, actual.TestLoss);
        Assert.Equal(expected.FinalTrainLoss, actual.FinalTrainLoss);
        Assert.Equal(expected.Curve.Select(p => (p.ImagesSeen, p.TrainLoss)), actual.Curve.Select(p => (p.ImagesSeen, p.TrainLoss)));
        Assert.Equal(expected.TrainAmd, actual.TrainAmd);
        Assert.Equal(expected.TestAmd, actual.TestAmd);
    }

    [Fact]
    public void BadRequestsFailWithAMessageNamingTheSetting()
    {
        var config = Config(RunMethod.GfeAmd);
        Assert.Contains("no data", Assert.Throws<RunFailedException>(() =>
            RunExecutor.Execute(config, null, null, CancellationToken.None)).Message);
        Assert.Contains("trainSize 65", Assert.Throws<RunFailedException>(() => Execute(config with { TrainSize = 65 })).Message);
        Assert.Contains("testSize", Assert.Throws<RunFailedException>(() => Execute(config with { TestSize = 13 })).Message);
        Assert.Contains("batchSize", Assert.Throws<RunFailedException>(() => Execute(config with { BatchSize = 0 })).Message);
        Assert.Contains("amd.beta", Assert.Throws<RunFailedException>(() =>
            Execute(config with { Amd = new AmdOptions { Beta = 1.5 } })).Message);
    }

    [Fact]
    public void DivergingLossFailsTheRun()
    {
        var pixels = (float[])Data.Train.Pixels.Clone();
        pixels[5] = float.NaN;
        var poisoned = Data with { Train = new ImageSet(pixels, Data.Train.Labels) };
        var config = Config(RunMethod.Ae) with { TrainSize = 64 };

        var error = Assert.Throws<RunFailedException>(() => RunExecutor.Execute(config, poisoned, null, CancellationToken.None));
        Assert.Contains("train loss became NaN", error.Message);
    }

    [Fact]
    public void CancellationStopsBetweenBatches()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress([], _ => cancel.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() =>
            RunExecutor.Execute(Config(RunMethod.Ae), Data, progress, cancel.Token));
        Assert.Single(progress.Reports);
    }

    [Fact]
    public void TestSizeTakesTheFirstTestImages()
    {
        var result = Execute(Config(RunMethod.Ae) with { TrainSize = 8, TestSize = 4 });
        Assert.Equal(4, result.TestImages);
        Assert.Equal(1, result.TestAmd.Solves);
    }

    [Fact]
    public void TestLossIsAPerImageMeanWhateverTheBatching()
    {
        using var generator = new Generator(2, CPU);
        using var autoencoder = new Autoencoder(generator);
        double Mean(int batchSize) =>
            TestEvaluation.MeanLoss(LossKind.Bce, Data.Test, batchSize, autoencoder.forward, CPU, null, CancellationToken.None);

        // 12 images in batches of 5 leave a partial batch of 2, which must weigh 2 images, not 5.
        double whole = Mean(12);
        Assert.Equal(whole, Mean(5), 1e-6);
        Assert.Equal(whole, Mean(1), 1e-6);
    }
}
