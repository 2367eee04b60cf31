using Gfe.Engine.Training;
using Xunit;

namespace Gfe.Tests.Engine;

public class TrainingSubsetTests
{
    [Fact]
    public void IsTheFirstNOfASeededPermutation()
    {
        var all = TrainingSubset.Indices(1000, 1000, seed: 4);
        Assert.Equal(Enumerable.Range(0, 1000), all.Order());
        Assert.NotEqual(Enumerable.Range(0, 1000), all);

        // Smaller subsets of the same seed are prefixes of larger ones (480 within 1920 within 5760).
        Assert.Equal(all[..100], TrainingSubset.Indices(1000, 100, seed: 4));
        Assert.Equal(all, TrainingSubset.Indices(1000, 1000, seed: 4));
        Assert.NotEqual(all[..100], TrainingSubset.Indices(1000, 100, seed: 5));
    }

    [Fact]
    public void SelectsThoseImagesInThatOrder()
    {
        var images = SyntheticImages.Make(30, 3);
        var indices = TrainingSubset.Indices(30, 7, seed: 1);
        var subset = TrainingSubset.FirstOfShuffle(images, 7, seed: 1);

        Assert.Equal(7, subset.Count);
        for (int i = 0; i < 7; i++)
        {
            Assert.Equal(images.Labels[indices[i]], subset.Labels[i]);
            Assert.Equal(images.Pixels[(indices[i] * 784)..((indices[i] + 1) * 784)], subset.Pixels[(i * 784)..((i + 1) * 784)]);
        }
    }

    [Fact]
    public void CannotTakeMoreThanThereAre() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingSubset.Indices(10, 11, seed: 0));
}
