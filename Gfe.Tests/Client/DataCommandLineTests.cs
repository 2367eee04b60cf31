using Gfe.Client.Commands;
using Gfe.Engine.Data.Files;
using Xunit;
using static Gfe.Tests.Client.GfeCli;

namespace Gfe.Tests.Client;

/// <summary>The data directory on every command that reads a sweep file, and the <c>gfe data</c> commands' exit codes
/// through <see cref="GfeException"/>, with the real command line in this process.</summary>
public sealed class DataCommandLineTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("gfe-datacli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>A data directory with the dataset 'mine' declared in it (8 samples of 3 values), and a sweep naming it.</summary>
    (string DataDirectory, string SweepFile) DeclaredDatasetAndSweep()
    {
        var data = Path.Combine(directory, "data");
        NpyFile.Write(Path.Combine(directory, "mine.npy"), Enumerable.Range(0, 24).Select(i => i / 24f).ToArray(), [8, 3]);
        var (code, _, error) = Invoke("data", "add", "mine", Path.Combine(directory, "mine.npy"), "--test-fraction", "0.25", "--data-dir", data);
        Assert.True(code == ExitCodes.Success, error);
        var sweep = Path.Combine(directory, "mine.yaml");
        File.WriteAllText(sweep, "name: mine\ngrid:\n  method: [ae]\n  dataset: [mine]\n  trainSize: [4]\n  seed: [0, 1]\n");
        return (data, sweep);
    }

    [Fact]
    public void SweepValidate_FindsDatasetsDeclaredInTheGivenDataDirectory_AndOnlyThere()
    {
        var (data, sweep) = DeclaredDatasetAndSweep();

        var (code, output, error) = Invoke("sweep", "validate", sweep, "--data-dir", data);
        Assert.True(code == ExitCodes.Success, error);
        Assert.Contains("sweep mine: 2 runs", output);
        Assert.Contains("ae.mine.n4.s1", output);

        var empty = Path.Combine(directory, "empty");
        (code, _, error) = Invoke("sweep", "validate", sweep, "--data-dir", empty);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("unknown dataset 'mine'", error);
    }

    [Theory]
    [InlineData("results")]
    [InlineData("status")]
    [InlineData("cancel")]
    public void AttachCommands_ReadTheSweepWithTheGivenDataDirectory(string verb)
    {
        var (data, sweep) = DeclaredDatasetAndSweep();
        // Without a cluster they stop after reading the sweep file: with --data-dir the file is valid and the
        // complaint is the missing --cluster; with another data directory the dataset is unknown.
        var (code, _, error) = Invoke("sweep", verb, sweep, "--data-dir", data, "--cluster", "");
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("--cluster", error);
        Assert.DoesNotContain("unknown dataset", error);

        (code, _, error) = Invoke("sweep", verb, sweep, "--data-dir", Path.Combine(directory, "empty"), "--cluster", "");
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("unknown dataset 'mine'", error);
    }

    [Fact]
    public void DataCommands_ReportThroughGfeException_OneLine_WithTheirExitCodes()
    {
        var (data, _) = DeclaredDatasetAndSweep();

        // Declared already: invalid input, and the declaration is left as it was.
        var before = File.ReadAllText(DatasetDeclaration.PathIn(data, "mine"));
        var (code, _, error) = Invoke("data", "add", "mine", Path.Combine(directory, "mine.npy"), "--test-fraction", "0.5", "--data-dir", data);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Equal($"error: dataset 'mine' is already declared in {DatasetDeclaration.PathIn(data, "mine")}; use --force to replace it", error.Trim());
        Assert.Equal(before, File.ReadAllText(DatasetDeclaration.PathIn(data, "mine")));

        // A folder that cannot be created (its parent is a file): data unavailable, one line, no stack trace.
        var blocker = Path.Combine(directory, "a-file");
        File.WriteAllText(blocker, "");
        (code, _, error) = Invoke("data", "synth", "ising", "--lattice", "4", "--temperatures", "2", "--per-temperature", "2",
            "--out", Path.Combine(blocker, "ising"), "--data-dir", data);
        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.StartsWith("error: ", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(File.Exists(DatasetDeclaration.PathIn(data, "ising")));

        // synth ising names its label columns in the declaration it writes.
        (code, _, error) = Invoke("data", "synth", "ising", "--lattice", "4", "--temperatures", "2", "--per-temperature", "3", "--data-dir", data);
        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal(["temperature", "magnetisation"], DatasetDeclaration.Load(DatasetDeclaration.PathIn(data, "ising")).LabelNames);

        // gfe encode with a missing model folder: exit 3 through the same path.
        (code, _, error) = Invoke("encode", "--model", Path.Combine(directory, "no-model"), "--data", "mine", "--out", Path.Combine(directory, "z.npy"), "--data-dir", data);
        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.StartsWith("error: ", error);
    }
}
