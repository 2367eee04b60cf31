using Gfe.Abstractions;
using Gfe.Client.Commands;
using Gfe.Client.Results;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Xunit;

namespace Gfe.Tests.Client;

/// <summary>Divergence short of NaN is recorded in runs.csv's warnings column and marked in the table; result files
/// that cannot be written give exit code 4 and the others are still written.</summary>
public sealed class RunWarningsTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("gfe-warnings-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    static RunOutcome Outcome(double first, double final, double test) => new(
        new Dictionary<string, double> { ["GFE-amd"] = test },
        FinalTrainLoss: final,
        ImagesSeen: 480,
        TestImages: 100,
        TrainAmd: new AmdSummary(30, 90, 15, 2, 28),
        TestAmd: new AmdSummary(7, 21, 0, 0, 7),
        TrainSeconds: 1,
        TestSeconds: 1,
        Curve: [new CurveSample(16, 0.1, first), new CurveSample(32, 0.2, (first + final) / 2), new CurveSample(48, 0.3, final)],
        DataProvenance: "test",
        Device: "cpu");

    [Fact]
    public void ALossFarAboveTheFirst_IsAWarning_ANormalRunIsNot()
    {
        // gfe-amd at lr 1e6 as measured: the loss climbs from about 0.69 to 2.6.
        var diverged = RunWarnings.For(Outcome(first: 0.69, final: 2.5, test: 2.61));
        Assert.Contains("diverged: final train loss 2.5 is 3.6x the first train loss 0.69", diverged);
        Assert.Contains("test loss GFE-amd 2.61 is 3.8x", diverged);
        Assert.Equal("", RunWarnings.For(Outcome(first: 0.69, final: 0.30, test: 0.29)));
        // Noise around a flat loss is not divergence; 1.5x the start is.
        Assert.Equal("", RunWarnings.For(Outcome(first: 0.30, final: 0.40, test: 0.44)));
        Assert.NotEqual("", RunWarnings.For(Outcome(first: 0.30, final: 0.46, test: 0.29)));
        Assert.Contains("is Infinity", RunWarnings.For(Outcome(first: 0.69, final: double.PositiveInfinity, test: 0.3)));
        Assert.Equal("", RunWarnings.For(null));
    }

    static (SweepFile Sweep, SweepOutcome Outcome) TwoSeeds()
    {
        var sweep = SweepFileParser.Parse("name: w\ngrid:\n  method: [gfe-amd]\n  seed: [0, 1]\n", "w.yaml");
        var records = sweep.Runs.Select(run => new RunRecord(run, new RunStatus(run.Key, RunState.Completed, "done", 1, 480, 0.3, "silo", null,
            run.Config.Seed == 0 ? Outcome(0.69, 0.30, 0.29) : Outcome(0.69, 2.5, 2.61), null, null))).ToList();
        return (sweep, new SweepOutcome(records, false, DateTime.UtcNow, DateTime.UtcNow));
    }

    [Fact]
    public void Warnings_GoToRunsCsv_ReadBack_AndMarkTheTableCell()
    {
        var (sweep, outcome) = TwoSeeds();
        ResultsWriter.Write(directory, sweep, outcome);

        var rows = RunsCsv.Read(Path.Combine(directory, ResultsWriter.RunsFile));
        Assert.Equal("", rows.Single(r => r.Setting("seed") == "0").Warnings);
        Assert.StartsWith("diverged: final train loss 2.5", rows.Single(r => r.Setting("seed") == "1").Warnings);

        var cell = Assert.Single(ResultPivot.Build(rows).Rows).Cells["GFE-amd"];
        Assert.Equal((2, 1), (cell.N, cell.Warned));
        var table = File.ReadAllText(Path.Combine(directory, ResultsWriter.TableMarkdownFile));
        Assert.Contains("(n=2) ⚠ 1 diverged", table);
        Assert.Contains("⚠: the cell includes runs that diverged", table);
    }

    [Fact]
    public void AResultFileThatCannotBeWritten_DoesNotStopTheOthers_AndGivesExitCode4()
    {
        var (sweep, outcome) = TwoSeeds();
        // A folder where runs.csv should be: that file cannot be written, whoever runs the test (root ignores modes).
        Directory.CreateDirectory(Path.Combine(directory, ResultsWriter.RunsFile));

        var e = Assert.Throws<ResultsNotWrittenException>(() => ResultsWriter.Write(directory, sweep, outcome));

        Assert.Equal(ExitCodes.ResultsNotWritten, e.ExitCode);
        Assert.Contains(e.Failures, f => f.StartsWith(ResultsWriter.RunsFile));
        Assert.True(File.Exists(Path.Combine(directory, ResultsWriter.CurvesFile)));
        Assert.True(File.Exists(Path.Combine(directory, ResultsWriter.ManifestFile)));
    }

    [Fact]
    public void WhenTheResultsFolderFails_EverythingIsWrittenIntoTheStateFolder()
    {
        var (sweep, outcome) = TwoSeeds();
        Directory.CreateDirectory(Path.Combine(directory, ResultsWriter.RunsFile));
        var state = Path.Combine(directory, "state");
        Environment.SetEnvironmentVariable(StatePaths.EnvironmentVariable, state);
        try
        {
            var failure = SweepRunCommand.WriteResults(directory, sweep, outcome);

            Assert.NotNull(failure);
            Assert.Equal(ExitCodes.ResultsNotWritten, failure.ExitCode);
            var rescued = Assert.Single(Directory.GetDirectories(Path.Combine(state, "results")));
            Assert.Contains(rescued, failure.Message);
            Assert.Equal(2, RunsCsv.Read(Path.Combine(rescued, ResultsWriter.RunsFile)).Count);
            Assert.True(File.Exists(Path.Combine(rescued, ResultsWriter.TableMarkdownFile)));
        }
        finally
        {
            Environment.SetEnvironmentVariable(StatePaths.EnvironmentVariable, null);
        }
    }
}
