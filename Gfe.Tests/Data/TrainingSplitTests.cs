using Gfe.Engine.Data;
using Xunit;

namespace Gfe.Tests.Data;

public sealed class TrainingSplitTests
{
    // Image i has every pixel equal to i, so an image is identified by its first pixel.
    private static ImageSet Numbered(int count) => new(
        Enumerable.Range(0, count).SelectMany(i => Enumerable.Repeat((float)i, ImageSet.ImageSize)).ToArray(),
        Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray());

    private static int[] Identities(ImageSet set) =>
        Enumerable.Range(0, set.Count).Select(i => (int)set.Pixels[i * ImageSet.ImageSize]).ToArray();

    [Fact]
    public void Pool_IsCutIntoTrainAndLastValidation_ImagesPastThePoolUnused()
    {
        var split = TrainingSplit.Cut(Numbered(30), poolSize: 20, validationCount: 3);

        var train = Identities(split.Train);
        var validation = Identities(split.Validation);
        Assert.Equal(17, train.Length);
        Assert.Equal(3, validation.Length);
        Assert.Empty(train.Intersect(validation));
        Assert.Equal(Enumerable.Range(0, 20), train.Concat(validation).Order());
        var order = SeededShuffle.Permutation(20, 0);
        Assert.Equal(order[..17], train);
        Assert.Equal(order[17..], validation);
    }

    [Fact]
    public void Labels_FollowTheirImages()
    {
        var split = TrainingSplit.Cut(Numbered(20), poolSize: 20, validationCount: 3);

        for (int i = 0; i < split.Train.Count; i++)
            Assert.Equal((byte)((int)split.Train.Pixels[i * ImageSet.ImageSize] % 10), split.Train.Labels[i]);
    }

    [Fact]
    public void FewerImagesThanThePool_AllAreShuffled_LastValidate()
    {
        var split = TrainingSplit.Cut(Numbered(12), poolSize: 50_000, validationCount: 8);

        Assert.Equal(4, split.Train.Count);
        Assert.Equal(8, split.Validation.Count);
        Assert.Equal(Enumerable.Range(0, 12), Identities(split.Train).Concat(Identities(split.Validation)).Order());
    }

    [Fact]
    public void TooFewImages_IsDataException()
    {
        var e = Assert.Throws<DataException>(() => TrainingSplit.Cut(Numbered(8)));

        Assert.Contains("8 images", e.Message);
    }

    [Fact]
    public void SameSeed_SameSplit_OtherSeed_OtherSplit()
    {
        var a = TrainingSplit.Cut(Numbered(40), poolSize: 40, validationCount: 8, seed: 0);
        var b = TrainingSplit.Cut(Numbered(40), poolSize: 40, validationCount: 8, seed: 0);
        var c = TrainingSplit.Cut(Numbered(40), poolSize: 40, validationCount: 8, seed: 1);

        Assert.Equal(Identities(a.Train), Identities(b.Train));
        Assert.NotEqual(Identities(a.Train), Identities(c.Train));
    }

    [Fact]
    public void Permutation_IsAPermutation_AndFixedForSeedZero()
    {
        var order = SeededShuffle.Permutation(50_000, 0);

        Assert.Equal(Enumerable.Range(0, 50_000), order.Order());
        Assert.NotEqual(Enumerable.Range(0, 50_000), order);
        // The last position is drawn first and never touched again: it holds floor(x * 50000 / 2^64) for the first
        // SplitMix64 output of seed 0, x = 0xE220A8397B1DCDAF (the published reference value).
        Assert.Equal(44_165, order[^1]);
        // Pinned so that a change of the shuffle, which would change every result, cannot go unnoticed.
        Assert.Equal([14599, 6313, 13073, 11179, 23168], order[..5]);
    }

    [Fact]
    public void DefaultSizes_GiveTheCataloguesTrainingCount()
    {
        Assert.Equal(49_992, TrainingSplit.PoolSize - TrainingSplit.ValidationCount);
        // SegMNIST is cut by digit instead (SegMnistTests); its nominal sizes are the standard MNIST digit counts.
        var split = DatasetCatalog.All.Where(d => d.BuiltFrom is null).ToList();
        foreach (var dataset in split)
            Assert.Equal(TrainingSplit.PoolSize - TrainingSplit.ValidationCount, dataset.TrainCount);
        Assert.All(split, d => Assert.Equal(10_000, d.TestCount));
        var segmnist = DatasetCatalog.Find("segmnist")!;
        Assert.Equal((5923 + 6742 + 5958 + 6131 + 5842, 892 + 958 + 1028 + 974 + 1009), (segmnist.TrainCount, segmnist.TestCount));
    }
}
