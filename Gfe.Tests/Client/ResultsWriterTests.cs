using System.Globalization;
using System.Text.Json;
using Gfe.Abstractions;
using Gfe.Client.Results;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Gfe.Engine.Runs;
using Xunit;

namespace Gfe.Tests.Client;

public sealed class ResultsWriterTests : IDisposable
{
    const string SweepText = """
        name: table
        description: hand-made outcomes
        grid:
          method: [ae, gfe-amd]
          dataset: [mnist]
          trainSize: [480, 960]
          seed: [0, 1, 2]
        """;

    readonly string directory = Path.Combine(Path.GetTempPath(), $"gfe-results-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    static RunOutcome Outcome(Dictionary<string, double> testLoss) => new(
        testLoss,
        FinalTrainLoss: 0.25,
        ImagesSeen: 480,
        TestImages: 1000,
        TrainAmd: new AmdSummary(30, 90, 15, 2, 28),
        TestAmd: new AmdSummary(63, 126, 0, 0, 63),
        TrainSeconds: 12.5,
        TestSeconds: 3.25,
        Curve: [new CurveSample(16, 0.5, 0.9), new CurveSample(32, 1.0, 0.7)],
        DataProvenance: "mnist from local idx, sha256 abc",
        Device: "cpu",
        AmdKernel: "native",
        Simd: "avx2",
        AdjointKernel: "torch");

    static RunStatus Completed(string key, Dictionary<string, double> testLoss) =>
        new(key, RunState.Completed, "done", 1, 480, 0.25, "silo-a", null, Outcome(testLoss), null, null);

    static RunStatus Failed(string key, string error, RunOutcome? outcome = null) =>
        new(key, RunState.Failed, "train", 0.5, 240, null, "silo-b", error, outcome, null, null);

    /// <summary>The statuses the pivot below is computed from; see each comment for the expected cell.</summary>
    static (SweepFile Sweep, SweepOutcome Outcome) HandMadeSweep()
    {
        var sweep = SweepFileParser.Parse(SweepText, "table.yaml");
        RunStatus StatusOf(SweepRun run) => (run.Config.Method, run.Config.TrainSize, run.Config.Seed) switch
        {
            // AE at 480: AE 0.1, 0.2, 0.3 -> 0.2 ± 0.1 (n=3); Mixed 0.5 three times -> 0.5 ± 0 (n=3).
            (RunMethod.Ae, 480, var s) => Completed(run.Key, new() { [Evaluations.Ae] = 0.1 * (s + 1), [Evaluations.Mixed] = 0.5 }),
            // GFE at 480: 0.08, 0.09 -> 0.085 ± 0.00707 (n=2); seed 2 failed, its (bogus) outcome must not count.
            (RunMethod.GfeAmd, 480, 2) => Failed(run.Key, "loss diverged, \"NaN\" at batch 3", Outcome(new() { [Evaluations.GfeAmd] = 100 })),
            (RunMethod.GfeAmd, 480, var s) => Completed(run.Key, new() { [Evaluations.GfeAmd] = 0.08 + 0.01 * s }),
            // AE at 960: only seed 0 -> AE 0.05 (n=1), Mixed 0.06 (n=1).
            (RunMethod.Ae, 960, 0) => Completed(run.Key, new() { [Evaluations.Ae] = 0.05, [Evaluations.Mixed] = 0.06 }),
            (RunMethod.Ae, 960, _) => Failed(run.Key, "silo lost"),
            // GFE at 960: 0.01, 0.02, 0.06 -> 0.03 ± sqrt(0.0007) (n=3).
            (RunMethod.GfeAmd, 960, var s) => Completed(run.Key, new() { [Evaluations.GfeAmd] = new[] { 0.01, 0.02, 0.06 }[s] }),
            _ => throw new InvalidOperationException(),
        };
        var records = sweep.Runs.Select(run => new RunRecord(run, StatusOf(run))).ToList();
        var started = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        return (sweep, new SweepOutcome(records, false, started, started.AddMinutes(3)));
    }

    [Fact]
    public void TableCsv_HoldsMeanSampleStdAndN_OfCompletedRunsOnly()
    {
        var (sweep, outcome) = HandMadeSweep();
        ResultsWriter.Write(directory, sweep, outcome);

        var table = CsvReader.ReadFile(Path.Combine(directory, ResultsWriter.TableCsvFile));
        Assert.Equal(
            ["dataset", "trainSize", "AE.mean", "AE.std", "AE.n", "GFE-amd.mean", "GFE-amd.std", "GFE-amd.n", "Mixed.mean", "Mixed.std", "Mixed.n"],
            table[0]);
        Assert.Equal(3, table.Count);
        var cells = table.Skip(1).ToDictionary(row => row[1], row => table[0].Zip(row).ToDictionary(p => p.First, p => p.Second));

        var small = cells["480"];
        Assert.Equal("mnist", small["dataset"]);
        Assert.Equal(0.2, Parse(small["AE.mean"]), 12);
        Assert.Equal(0.1, Parse(small["AE.std"]), 12);
        Assert.Equal("3", small["AE.n"]);
        Assert.Equal(0.085, Parse(small["GFE-amd.mean"]), 12);
        Assert.Equal(Math.Sqrt(0.00005), Parse(small["GFE-amd.std"]), 12);
        Assert.Equal("2", small["GFE-amd.n"]);
        Assert.Equal(0.5, Parse(small["Mixed.mean"]), 12);
        Assert.Equal(0.0, Parse(small["Mixed.std"]), 12);

        var large = cells["960"];
        Assert.Equal(0.05, Parse(large["AE.mean"]), 12);
        Assert.Equal("", large["AE.std"]);
        Assert.Equal("1", large["AE.n"]);
        Assert.Equal(0.03, Parse(large["GFE-amd.mean"]), 12);
        Assert.Equal(Math.Sqrt(0.0007), Parse(large["GFE-amd.std"]), 12);
        Assert.Equal("3", large["GFE-amd.n"]);
    }

    [Fact]
    public void Write_EndsWithTheReport_SoItsTableIsTheOneGfeReportRemakes()
    {
        var (sweep, outcome) = HandMadeSweep();
        ResultsWriter.Write(directory, sweep, outcome);

        var tablePath = Path.Combine(directory, ResultsWriter.TableCsvFile);
        var table = File.ReadAllText(tablePath);
        Assert.Equal(
            ["mnist.data-efficiency.png", "mnist.n480.train-loss-vs-images.png", "mnist.n480.train-loss-vs-seconds.png", "mnist.n960.train-loss-vs-images.png", "mnist.n960.train-loss-vs-seconds.png"],
            Directory.GetFiles(Path.Combine(directory, CurveFigures.Folder)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        File.Delete(tablePath);

        var report = ResultsReport.Write(directory);

        Assert.Equal(table, File.ReadAllText(tablePath));
        // The pivot of the runs in memory and the pivot of runs.csv read back are the same, to the last bit.
        var fromRuns = ResultPivot.Build(outcome.Runs);
        Assert.Equal(fromRuns.RowSettings, report.Pivot.RowSettings);
        Assert.Equal(fromRuns.Rows.Count, report.Pivot.Rows.Count);
        foreach (var (expected, actual) in fromRuns.Rows.Zip(report.Pivot.Rows))
        {
            Assert.Equal(expected.Settings, actual.Settings);
            Assert.Equal(expected.Cells.OrderBy(c => c.Key), actual.Cells.OrderBy(c => c.Key));
        }
    }

    [Fact]
    public void TableMarkdown_PrintsCellsAsThePaperDoes()
    {
        var (sweep, outcome) = HandMadeSweep();
        ResultsWriter.Write(directory, sweep, outcome);

        var lines = File.ReadAllLines(Path.Combine(directory, ResultsWriter.TableMarkdownFile));
        Assert.Contains("| dataset | trainSize | AE | GFE-amd | Mixed |", lines);
        Assert.Contains("| mnist | 480 | 0.2000 ± 0.1000 (n=3) | 0.0850 ± 0.0071 (n=2) | 0.5000 ± 0.0000 (n=3) |", lines);
        Assert.Contains("| mnist | 960 | 0.0500 (n=1) | 0.0300 ± 0.0265 (n=3) | 0.0600 (n=1) |", lines);
        // The cells say which loss they hold.
        Assert.Contains(lines, line => line.StartsWith("Test loss per image (loss: bce, the per-feature eps-BCE)", StringComparison.Ordinal));
    }

    [Fact]
    public void RunsCsv_HasEveryRun_IncludingFailedOnesWithTheirError()
    {
        var (sweep, outcome) = HandMadeSweep();
        ResultsWriter.Write(directory, sweep, outcome);

        var rows = CsvReader.ReadFile(Path.Combine(directory, ResultsWriter.RunsFile));
        var header = rows[0];
        Assert.Equal(13, rows.Count);
        Assert.Equal(["key", .. RunParameters.All.Select(p => p.Name), "state", "testLoss.AE", "testLoss.GFE-amd", "testLoss.Mixed"],
            header.Take(RunParameters.All.Count + 5));
        var byKey = rows.Skip(1).ToDictionary(r => r[0], r => header.Zip(r).ToDictionary(p => p.First, p => p.Second));
        Assert.All(byKey.Values, row => Assert.Equal(header.Length, row.Count));

        var failed = byKey[sweep.Runs.Single(r => r.Config is { Method: RunMethod.GfeAmd, TrainSize: 480, Seed: 2 }).Key];
        Assert.Equal("failed", failed["state"]);
        Assert.Equal("loss diverged, \"NaN\" at batch 3", failed["error"]);

        var run = sweep.Runs.Single(r => r.Config is { Method: RunMethod.Ae, TrainSize: 480, Seed: 1 });
        var completed = byKey[run.Key];
        Assert.Equal("completed", completed["state"]);
        Assert.Equal(0.2, Parse(completed["testLoss.AE"]), 12);
        Assert.Equal("", completed["testLoss.GFE-amd"]);
        Assert.Equal("1", completed["seed"]);
        Assert.Equal(run.Spec.Settings["lr"], completed["lr"]);
        Assert.Equal(3.0, Parse(completed["trainAmd.acceptedPerSolve"]), 12);
        Assert.Equal(0.5, Parse(completed["trainAmd.rejectedPerSolve"]), 12);
        Assert.Equal("2", completed["trainAmd.forced"]);
        Assert.Equal("silo-a", completed["silo"]);
        Assert.Equal("native", completed["amdKernelRan"]);
        Assert.Equal("avx2", completed["simd"]);
        Assert.Equal("torch", completed["adjointKernelRan"]);
        Assert.Equal("mnist from local idx, sha256 abc", completed["dataProvenance"]);
    }

    [Fact]
    public void CurvesCsv_HasEveryPointOfEveryRunWithAnOutcome()
    {
        var (sweep, outcome) = HandMadeSweep();
        ResultsWriter.Write(directory, sweep, outcome);

        var rows = CsvReader.ReadFile(Path.Combine(directory, ResultsWriter.CurvesFile));
        Assert.Equal(["key", "imagesSeen", "seconds", "trainLoss"], rows[0]);
        var withOutcome = outcome.Runs.Count(r => r.Status.Outcome is not null);
        Assert.Equal(1 + 2 * withOutcome, rows.Count);
        Assert.Equal(["16", "0.5", "0.9"], rows[1][1..]);
    }

    [Fact]
    public void Manifest_KeepsTheSweepTextAndCounts()
    {
        var (sweep, outcome) = HandMadeSweep();
        ResultsWriter.Write(directory, sweep, outcome);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, ResultsWriter.ManifestFile)));
        var root = json.RootElement;
        Assert.Equal(SweepText, root.GetProperty("sweepText").GetString());
        Assert.Equal(12, root.GetProperty("runs").GetInt32());
        Assert.Equal(9, root.GetProperty("completed").GetInt32());
        Assert.Equal(3, root.GetProperty("failed").GetInt32());
        Assert.Equal("mnist from local idx, sha256 abc", root.GetProperty("dataProvenance")[0].GetString());
        Assert.True(root.GetProperty("versions").TryGetProperty("orleans", out _));
    }

    [Fact]
    public void Pivot_SplitsRowsBySettingsThatVary_ButAveragesOverSeeds()
    {
        var sweep = SweepFileParser.Parse("grid:\n  method: [simulate]\n  lr: [0.001, 0.01]\n  seed: [0, 1]\n", "lr.yaml");
        var records = sweep.Runs
            .Select(run => new RunRecord(run, Completed(run.Key, new() { [Evaluations.Simulate] = run.Config.LearningRate * 10 + run.Config.Seed })))
            .ToList();

        var pivot = ResultPivot.Build(records);

        Assert.Equal(["dataset", "trainSize", "lr"], pivot.RowSettings);
        Assert.Equal([Evaluations.Simulate], pivot.Evaluations);
        Assert.Equal(2, pivot.Rows.Count);
        Assert.Equal("0.001", pivot.Rows[0].Settings[2].Value);
        var cell = pivot.Rows[0].Cells[Evaluations.Simulate];
        Assert.Equal(2, cell.N);
        Assert.Equal(0.51, cell.Mean, 12);
        Assert.Equal(Math.Sqrt(0.5), cell.StdDev!.Value, 12);
    }

    [Fact]
    public void PivotCell_OfOneValue_HasNoStd()
    {
        var cell = PivotCell.Of([0.0812]);
        Assert.Null(cell.StdDev);
        Assert.Equal("0.0812 (n=1)", cell.ToString());
    }
}
