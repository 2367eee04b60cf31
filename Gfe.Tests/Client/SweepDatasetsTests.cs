using Gfe.Client.Sweeps;
using Gfe.Engine.Data.Files;
using Gfe.Tests.Data;
using Xunit;

namespace Gfe.Tests.Client;

/// <summary>The sweep file's datasets: section and dataset names declared in the data directory.</summary>
public sealed class SweepDatasetsTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    SweepFile Parse(string yaml) => SweepFileParser.Parse(yaml, Path.Combine(temp.Path, "s.yaml"), Path.Combine(temp.Path, "data"));

    [Fact]
    public void DatasetsSection_DeclaresNames_TheGridMayUse_WithPathsRelativeToTheSweepFile()
    {
        var sweep = Parse("datasets:\n  spectra:\n    train: spectra.npy\n    testFraction: 0.2\n    loss: mse\ngrid:\n  dataset: [spectra]\n  trainSize: [100000]\n");
        var declaration = sweep.Datasets.Single();
        Assert.Equal("spectra", declaration.Name);
        Assert.Equal(Path.Combine(temp.Path, "spectra.npy"), declaration.Resolve(declaration.Train).Path);
        Assert.Equal("spectra", sweep.Runs.Single().Config.Dataset); // sizes are checked once the data are loaded
    }

    [Fact]
    public void NamesDeclaredInTheDataDirectory_AreKnown_OthersListThem()
    {
        Directory.CreateDirectory(Path.Combine(temp.Path, "data", "datasets"));
        File.WriteAllText(DatasetDeclaration.PathIn(Path.Combine(temp.Path, "data"), "mine"), "train: x.npy\ntestFraction: 0.5\n");
        Assert.Equal("mine", Parse("grid:\n  dataset: [mine]\n").Runs.Single().Config.Dataset);
        var e = Assert.Throws<SweepFileException>(() => Parse("grid:\n  dataset: [other]\n"));
        Assert.Contains("unknown dataset 'other'; known datasets: mnist, fashion-mnist, segmnist, mine", e.Message);
    }

    [Theory]
    [InlineData("datasets:\n  mnist:\n    train: x.npy\n    testFraction: 0.5\ngrid:\n  seed: [0]\n", "built-in dataset mnist")]
    [InlineData("datasets:\n  s:\n    train: x.npy\ngrid:\n  seed: [0]\n", "give either 'test: FILE' or 'testFraction: F'")]
    [InlineData("datasets:\n  s:\n    train: x.npy\n    test: y.npy\n    normalize: l2\ngrid:\n  seed: [0]\n", "s.yaml:5: normalize: must be none, minmax or standard")]
    public void BadDeclarations_AreSweepFileErrors(string yaml, string message)
    {
        var e = Assert.Throws<SweepFileException>(() => Parse(yaml));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Install_WritesTheDeclarationWithChecksums_AndRefusesAnotherOfTheSameName()
    {
        NpyFile.Write(Path.Combine(temp.Path, "x.npy"), [0.1f, 0.2f, 0.3f, 0.4f], [4, 1]);
        var data = Path.Combine(temp.Path, "data");
        SweepDatasets.Install(Parse("datasets:\n  x:\n    train: x.npy\n    testFraction: 0.5\ngrid:\n  dataset: [x]\n"), data);
        var installed = DatasetDeclaration.Load(DatasetDeclaration.PathIn(data, "x"));
        Assert.Equal(Path.Combine(temp.Path, "x.npy"), installed.Train);
        Assert.Equal([4, 1], installed.Files.Single().Shape);

        SweepDatasets.Install(Parse("datasets:\n  x:\n    train: x.npy\n    testFraction: 0.5\ngrid:\n  dataset: [x]\n"), data);
        var e = Assert.Throws<DataInputException>(() =>
            SweepDatasets.Install(Parse("datasets:\n  x:\n    train: x.npy\n    testFraction: 0.25\ngrid:\n  dataset: [x]\n"), data));
        Assert.Contains("already declared differently", e.Message);
    }
}
