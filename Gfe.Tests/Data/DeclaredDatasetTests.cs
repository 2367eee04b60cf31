using Gfe.Engine.Data;
using Gfe.Engine.Data.Files;
using Xunit;

namespace Gfe.Tests.Data;

/// <summary>Datasets declared in <c>datasets/NAME.yaml</c>: splits, normalisation fitted on train only, provenance, and
/// the declaration-level bad cases.</summary>
public sealed class DeclaredDatasetTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    DatasetStore Store => new(temp.Path, _ => []);

    string Declare(string name, string yaml)
    {
        Directory.CreateDirectory(Path.Combine(temp.Path, "datasets"));
        var path = DatasetDeclaration.PathIn(temp.Path, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>N samples of D features; sample i, feature f = offset + i + f / 10.</summary>
    void WriteNpy(string name, int n, int d, float offset = 0)
    {
        var values = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int f = 0; f < d; f++) values[i * d + f] = offset + i + f / 10f;
        NpyFile.Write(Path.Combine(temp.Path, name), values, [n, d]);
    }

    [Fact]
    public void SeparateFiles_NormalizeStandard_IsFittedOnTrainOnly_AndInverts()
    {
        WriteNpy("train.npy", 5, 3);
        WriteNpy("test.npy", 2, 3, offset: 100);
        Declare("spectra", "train: ../train.npy\ntest: ../test.npy\nnormalize: standard\nloss: mse\n");

        var data = Store.Load("spectra");

        Assert.Equal(3, data.FeatureCount);
        Assert.Equal([3], data.SampleShape);
        Assert.Equal(5, data.Train.Count);
        // Train feature 0 is 0..4: mean 2, population std sqrt(2). Test statistics (values near 100) do not enter.
        Assert.Equal(2f, data.Normalization.Offset[0]);
        Assert.Equal(MathF.Sqrt(2), data.Normalization.Scale[0], 5);
        Assert.Equal((100f - 2f) / MathF.Sqrt(2), data.Test.Pixels[0], 3);
        var trainColumn = Enumerable.Range(0, 5).Select(i => (double)data.Train.Pixels[i * 3 + 1]).ToArray();
        Assert.Equal(0, trainColumn.Average(), 5);
        Assert.Equal(1, Math.Sqrt(trainColumn.Select(v => v * v).Average()), 5);
        Assert.Equal(100.1f, data.Normalization.Invert(data.Test.Pixels)[1], 3);
        Assert.Contains("spectra from train train.npy [5x3 float32] sha256:", data.Provenance);
        Assert.Contains("normalize standard", data.Provenance);
    }

    [Fact]
    public void NormalizeStandard_NearConstantFeatures_AreCentredOnly_NotBlownUp()
    {
        // Feature 0 varies; feature 1 is 1000 plus float32 round-off; feature 2 is 0.5 give or take 1e-7 (a border
        // pixel); feature 3 is exactly constant. Dividing features 1 and 2 by their spread would turn a test value
        // 0.01 off into about 10^4 - 10^6.
        float[] train =
        [
            0f, 1000f, 0.5f, 7f,
            1f, 1000.0001f, 0.5000001f, 7f,
            2f, 999.9999f, 0.4999999f, 7f,
            3f, 1000f, 0.5f, 7f,
        ];
        NpyFile.Write(Path.Combine(temp.Path, "flat.npy"), train, [4, 4]);
        NpyFile.Write(Path.Combine(temp.Path, "flat-test.npy"), [1.5f, 1000.01f, 0.51f, 7.01f], [1, 4]);
        Declare("flat", "train: ../flat.npy\ntest: ../flat-test.npy\nnormalize: standard\nloss: mse\n");

        var data = Store.Load("flat");

        Assert.Equal(MathF.Sqrt(1.25f), data.Normalization.Scale[0], 5);
        Assert.Equal([1f, 1f, 1f], data.Normalization.Scale[1..]);
        Assert.Equal(1000f, data.Normalization.Offset[1], 3);
        Assert.Equal(0.5f, data.Normalization.Offset[2], 6);
        Assert.Equal(7f, data.Normalization.Offset[3]);
        // Centred only: the test values keep their offsets from the training mean, in the data's units.
        Assert.Equal([0f, 0.01f, 0.01f, 0.01f], data.Test.Pixels, (a, b) => Math.Abs(a - b) < 2e-4);
        Assert.All(data.Train.Pixels, v => Assert.True(Math.Abs(v) < 1.5, $"train value {v} was blown up"));
        Assert.Equal(data.Test.Pixels.Length, data.Normalization.Invert(data.Test.Pixels).Length);
        Assert.Equal(1000.01f, data.Normalization.Invert(data.Test.Pixels)[1], 2);

        // A small but real spread is still scaled: 1e-3 around 0.5 is far above the tolerance.
        var kept = Normalization.Fit(NormalizeMode.Standard, [0.499f, 0.501f], 1);
        Assert.Equal(0.001f, kept.Scale[0], 6);
        // minmax: a range that is round-off is not stretched to [0,1] either.
        var flatRange = Normalization.Fit(NormalizeMode.Minmax, [1000f, 1000.0001f, 999.9999f], 1);
        Assert.Equal(1f, flatRange.Scale[0]);
    }

    [Fact]
    public void LabelNames_NameTheLabelColumns_RoundTrip_AndMustMatchTheirCount()
    {
        WriteNpy("all.npy", 10, 2);
        NpyFile.Write(Path.Combine(temp.Path, "two.npy"), Enumerable.Range(0, 20).Select(i => (float)i).ToArray(), [10, 2]);
        var path = Declare("named", "train: ../all.npy\ntestFraction: 0.3\nlabels: ../two.npy\nlabelNames: [temperature, magnetisation]\nloss: mse\n");

        Assert.Equal(["temperature", "magnetisation"], Store.Load("named").LabelNames);
        var declaration = DatasetDeclaration.Load(path);
        var again = DatasetDeclaration.Parse(declaration.ToYaml(), "again", "named", temp.Path);
        Assert.Equal(declaration.LabelNames, again.LabelNames);

        Declare("short", "train: ../all.npy\ntestFraction: 0.3\nlabels: ../two.npy\nlabelNames: [temperature]\nloss: mse\n");
        var e = Assert.Throws<DataInputException>(() => Store.Load("short"));
        Assert.Contains("labelNames gives 1 names for 2 label columns", e.Message);
        Declare("nolabels", "train: ../all.npy\ntestFraction: 0.3\nlabelNames: [t]\n");
        Assert.Contains("there is no 'labels' file", Assert.Throws<DataInputException>(() => Store.Load("nolabels")).Message);
    }

    [Fact]
    public void Minmax_MapsTrainTo01_PerFeature()
    {
        WriteNpy("a.npy", 4, 2);
        Declare("a", "train: ../a.npy\ntest: ../a.npy\nnormalize: minmax\n");
        var data = Store.Load("a");
        Assert.Equal([0.0, 0, 1 / 3.0, 1 / 3.0, 2 / 3.0, 2 / 3.0, 1, 1], data.Train.Pixels.Select(v => Math.Round(v, 5)).ToArray(),
            (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Equal("bce", data.DefaultLoss);
    }

    [Fact]
    public void TestFraction_CutsOneFile_BySeed_IntoDisjointPartsInFileOrder_WithLabels()
    {
        WriteNpy("all.npy", 10, 2);
        NpyFile.Write(Path.Combine(temp.Path, "labels.npy"), Enumerable.Range(0, 10).Select(i => (float)i * 10).ToArray(), [10]);
        Declare("cut", "train: ../all.npy\ntestFraction: 0.3\nseed: 4\nlabels: ../labels.npy\nloss: mse\n");

        var data = Store.Load("cut");
        var trainIds = Enumerable.Range(0, data.Train.Count).Select(i => (int)data.Train.Pixels[2 * i]).ToArray();
        var testIds = Enumerable.Range(0, data.Test.Count).Select(i => (int)data.Test.Pixels[2 * i]).ToArray();

        Assert.Equal(3, testIds.Length);
        Assert.Equal(7, trainIds.Length);
        Assert.Equal(Enumerable.Range(0, 10), trainIds.Concat(testIds).Order());
        Assert.Equal(testIds.Order(), testIds);
        Assert.Equal(testIds.Select(i => i * 10f), data.TestLabels!.Values);
        Declare("cut", "train: ../all.npy\ntestFraction: 0.3\nseed: 5\nloss: mse\n");
        var other = Store.Load("cut");
        Assert.NotEqual(testIds, Enumerable.Range(0, 3).Select(i => (int)other.Test.Pixels[2 * i]));
    }

    [Fact]
    public void FeatureCountMismatch_BetweenTrainAndTest_IsRefused()
    {
        WriteNpy("train.npy", 4, 3);
        WriteNpy("test.npy", 4, 5);
        Declare("m", "train: ../train.npy\ntest: ../test.npy\nloss: mse\n");
        var e = Assert.Throws<DataInputException>(() => Store.Load("m"));
        Assert.Contains("test.npy: test samples have shape [5] (5 features)", e.Message);
        Assert.Contains("[3] (3 features)", e.Message);
    }

    [Fact]
    public void LossBce_WithValuesOutside01_NamesFileSampleAndValue_AndSuggestsAFix()
    {
        WriteNpy("train.npy", 4, 3);
        Declare("b", "train: ../train.npy\ntest: ../train.npy\n");
        var e = Assert.Throws<DataInputException>(() => Store.Load("b"));
        // Sample 0 is 0, 0.1, 0.2; sample 1 is 1, 1.1, 1.2: its feature 1 is the first value above 1.
        Assert.Contains("train.npy: sample 1, feature 1 has value 1.1", e.Message);
        Assert.Contains("normalize: minmax", e.Message);
        Assert.Contains("loss: mse", e.Message);
    }

    [Fact]
    public void AChangedFile_IsRefused_AfterItWasRecorded()
    {
        WriteNpy("train.npy", 4, 2);
        var declaration = DeclaredDataset.Record(new DatasetDeclaration("c", "", "../train.npy", "../train.npy", null, 0, null, null,
            NormalizeMode.None, "mse", [], Path.Combine(temp.Path, "datasets")));
        Declare("c", declaration.ToYaml());
        Assert.Equal(8, Store.Load("c").Train.Pixels.Length);

        WriteNpy("train.npy", 4, 2, offset: 1);
        var e = Assert.Throws<DataInputException>(() => Store.Load("c"));
        Assert.Contains("train.npy changed since dataset 'c' was declared", e.Message);
    }

    [Fact]
    public void Declaration_RoundTripsThroughYaml()
    {
        WriteNpy("train.npy", 4, 2);
        var written = DeclaredDataset.Record(new DatasetDeclaration("r", "Raman 'spectra'", "../train.npy", null, 0.25, 7, null, null,
            NormalizeMode.Standard, "mse", [], Path.Combine(temp.Path, "datasets")));
        var path = Declare("r", written.ToYaml());

        var read = DatasetDeclaration.Load(path);

        Assert.Equal(written with { Files = [] }, read with { Files = [] });
        Assert.Equal([4, 2], read.Files.Single().Shape);
        Assert.Equal(written.Files.Single().Sha256, read.Files.Single().Sha256);
        Assert.Equal(["r"], Store.DeclaredNames());
    }

    [Theory]
    [InlineData("mnist", "built-in dataset mnist")]
    [InlineData("Fashion-MNIST", "built-in dataset fashion-mnist")]
    [InlineData("a b", "cannot be a dataset name")]
    public void NamesClashingWithBuiltIns_OrUnsafe_AreRefused(string name, string message) =>
        Assert.Contains(message, DatasetDeclaration.NameProblem(name));

    [Theory]
    [InlineData("train: x.npy\n", "give either 'test: FILE' or 'testFraction: F'")]
    [InlineData("train: x.npy\ntest: y.npy\ntestFraction: 0.2\n", "exactly one of them")]
    [InlineData("train: x.npy\ntestFraction: 1.5\n", "between 0 and 1")]
    [InlineData("train: x.npy\ntest: y.npy\nnormalize: zscore\n", "must be none, minmax or standard")]
    [InlineData("train: x.npy\ntest: y.npy\nloss: l1\n", "must be bce or mse")]
    [InlineData("train: x.npy\ntest: y.npy\nsplit: 3\n", "unknown key 'split'")]
    [InlineData("test: y.npy\n", "train: missing")]
    public void BadDeclarations_NameTheKey(string yaml, string message)
    {
        Declare("d", yaml);
        Assert.Contains(message, Assert.Throws<DataInputException>(() => Store.Load("d")).Message);
    }

    [Fact]
    public void UnknownDataset_ListsBuiltInAndDeclared()
    {
        WriteNpy("train.npy", 4, 2);
        Declare("mine", "train: ../train.npy\ntest: ../train.npy\nloss: mse\n");
        var e = Assert.Throws<DataException>(() => Store.Load("other"));
        Assert.Contains("mnist, fashion-mnist, segmnist, mine", e.Message);
    }

    [Fact]
    public void MissingDataFile_IsDataUnavailable()
    {
        Declare("gone", "train: ../nothing.npy\ntest: ../nothing.npy\nloss: mse\n");
        Assert.Contains("data file not found", Assert.Throws<DataException>(() => Store.Ensure("gone")).Message);
    }
}
