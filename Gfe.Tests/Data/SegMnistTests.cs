using Gfe.Engine.Data;
using Xunit;

namespace Gfe.Tests.Data;

public sealed class SegMnistTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Load_TrainsOnDigitsBelowFive_InFileOrder_AndTestsOnTheRest()
    {
        // Synthetic image i has label i mod 10; the 60 training-file images are 0..59, the 20 test images 60..79.
        SyntheticIdx.WriteDataset(Path.Combine(temp.Path, "mnist"), trainCount: 60, testCount: 20);
        var store = new DatasetStore(temp.Path, _ => []);

        var splits = store.Load("segmnist");

        Assert.Equal("segmnist", splits.Name);
        var trainIds = Enumerable.Range(0, splits.Train.Count).Select(i => SyntheticIdx.IdentityOf(splits.Train, i));
        Assert.Equal(Enumerable.Range(0, 60).Where(i => i % 10 < 5), trainIds);
        var testIds = Enumerable.Range(0, splits.Test.Count).Select(i => SyntheticIdx.IdentityOf(splits.Test, i));
        Assert.Equal(Enumerable.Range(60, 20).Where(i => i % 10 >= 5), testIds);
        Assert.All(splits.Train.Labels, label => Assert.InRange(label, 0, 4));
        Assert.All(splits.Test.Labels, label => Assert.InRange(label, 5, 9));
        Assert.Equal(0, store.LoadValidation("segmnist").Count);
        Assert.StartsWith("segmnist cut from mnist from files in", splits.Provenance);
        // The mnist split of the same files is still the usual one: the two share a folder but not a cache entry.
        Assert.Equal(52, store.Load("mnist").Train.Count);
        Assert.Equal(store.DatasetDirectory("mnist"), store.DatasetDirectory("segmnist"));
    }

    [Fact]
    public void Cut_UsesTheWholeTrainingFile_BeyondTheFiftyThousandPool()
    {
        int count = TrainingSplit.PoolSize + 10;
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i >= TrainingSplit.PoolSize ? 1 : 7)).ToArray();
        var trainingFile = new ImageSet(new float[(long)count * ImageSet.ImageSize], labels);

        var (train, test) = SegMnist.Cut(trainingFile, new ImageSet(new float[ImageSet.ImageSize], [9]));

        Assert.Equal(10, train.Count);
        Assert.Equal(1, test.Count);
    }

    [Fact]
    public void Ensure_FetchesMnist_AndNamesTheCut()
    {
        var source = new ScriptedSource("offline", trainCount: 40, testCount: 10);
        var requested = new List<string>();
        var store = new DatasetStore(temp.Path, name => { requested.Add(name); return [source]; });

        var provenance = store.Ensure("segmnist");

        Assert.Equal(["mnist"], requested);
        Assert.StartsWith("segmnist cut from mnist from scripted offline", provenance);
        Assert.True(File.Exists(Path.Combine(temp.Path, "mnist", DatasetManifest.FileName)));
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "segmnist")));
        Assert.Equal((20, 5), (store.Load("segmnist").Train.Count, store.Load("segmnist").Test.Count));
    }
}
