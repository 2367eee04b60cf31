using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using Gfe.Engine.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>Epochs (docs/method.md §4): each a fresh seeded order of the training subset, without replacement.</summary>
public class EpochTests
{
    [Fact]
    public void EpochOrders_ArePermutations_FirstIsTheSubsetOrder_LaterOnesDiffer()
    {
        Assert.Equal(Enumerable.Range(0, 50), TrainingSubset.EpochOrder(50, 0, seed: 3));
        var orders = Enumerable.Range(1, 3).Select(e => TrainingSubset.EpochOrder(50, e, seed: 3)).ToList();
        Assert.All(orders, order => Assert.Equal(Enumerable.Range(0, 50), order.Order()));
        Assert.NotEqual(orders[0], orders[1]);
        Assert.NotEqual(orders[1], orders[2]);
        Assert.NotEqual(orders[0], TrainingSubset.EpochOrder(50, 1, seed: 4));
        Assert.Equal(orders[0], TrainingSubset.EpochOrder(50, 1, seed: 3));
    }

    [Fact]
    public void TrainingLoop_SeesEveryImageOncePerEpoch_InADifferentOrderEachEpoch()
    {
        // Image i is constant i/100, so a batch tells which images it holds.
        const int count = 10;
        var pixels = Enumerable.Range(0, count).SelectMany(i => Enumerable.Repeat(i / 100f, ImageSet.ImageSize)).ToArray();
        var subset = new ImageSet(pixels, new byte[count]);
        var config = new RunConfig { BatchSize = 4, Epochs = 3, Seed = 7 };
        using var model = nn.Linear(ImageSet.ImageSize, 1);
        var seen = new List<int>();
        var batchSizes = new List<long>();

        var outcome = TrainingLoop.Run(model, images =>
        {
            batchSizes.Add(images.shape[0]);
            var first = images[.., 0].data<float>().ToArray();
            seen.AddRange(first.Select(p => (int)MathF.Round(p * 100)));
            return model.forward(images).sum();
        }, subset, config, CPU, null, CancellationToken.None);

        // 3 batches per epoch (4, 4, 2): one update per batch, the partial batch at the end of each epoch.
        Assert.Equal([4L, 4, 2, 4, 4, 2, 4, 4, 2], batchSizes);
        Assert.Equal(30, outcome.ImagesSeen);
        var epochs = seen.Chunk(count).ToList();
        Assert.Equal(3, epochs.Count);
        Assert.All(epochs, epoch => Assert.Equal(Enumerable.Range(0, count), epoch.Order()));
        Assert.Equal(Enumerable.Range(0, count), epochs[0]);
        Assert.NotEqual(epochs[0], epochs[1]);
        Assert.NotEqual(epochs[1], epochs[2]);
        Assert.Equal(TrainingSubset.EpochOrder(count, 2, 7), epochs[2]);
        // A curve point per batch; every third closes an epoch.
        Assert.Equal(9, outcome.Curve.Count);
        Assert.Equal([10L, 20, 30], outcome.Curve.Where((_, i) => i % 3 == 2).Select(p => p.ImagesSeen));
    }

    [Fact]
    public void TrainSizeZero_TrainsOnTheWholeSplit()
    {
        var data = SyntheticImages.Splits(trainCount: 20, testCount: 4);
        var config = new RunConfig
        {
            Method = RunMethod.Ae, Dataset = "synthetic", TrainSize = 0, BatchSize = 8, TestBatchSize = 4, Epochs = 2,
        };
        var result = RunExecutor.Execute(config, data, null, CancellationToken.None);
        Assert.Equal(40, result.ImagesSeen);
        Assert.Equal(0, RunParameters.Apply(new RunConfig(), "trainSize", "0").TrainSize);
        Assert.Equal(12, RunParameters.Apply(new RunConfig(), "epochs", "12").Epochs);
        Assert.Throws<RunConfigException>(() => RunParameters.Apply(new RunConfig(), "epochs", "0"));
    }
}
