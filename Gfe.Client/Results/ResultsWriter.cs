using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gfe.Abstractions;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Gfe.Engine.Runs;

namespace Gfe.Client.Results;

/// <summary>
/// Writes the result files of a sweep into results/&lt;name&gt;/: runs.csv (one row per run, failed and unfinished
/// ones included), curves.csv (train loss against images seen and time), reconstructions.csv (pixels for Figure 3),
/// manifest.json, and then, through <see cref="ResultsReport"/>, table.md and table.csv (the pivot of completed runs),
/// the curves in plots/ and the reconstruction pictures in reconstructions/. The formats are described in docs/sweep-files.md.
/// </summary>
public static class ResultsWriter
{
    public const string RunsFile = "runs.csv";
    public const string CurvesFile = "curves.csv";
    public const string TableMarkdownFile = "table.md";
    public const string TableCsvFile = "table.csv";
    public const string ManifestFile = "manifest.json";
    public const string ReconstructionsFile = "reconstructions.csv";
    public const string ReconstructionsFolder = "reconstructions";
    public const string WarningsColumn = "warnings";

    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes every result file into <paramref name="directory"/> (created if needed). A file that cannot
    /// be written does not stop the others: each is tried, and then <see cref="ResultsNotWrittenException"/> names
    /// the ones that failed. Returns what the report found (null when it could not be written).</summary>
    public static WrittenReport? Write(string directory, SweepFile sweep, SweepOutcome outcome)
    {
        var failed = new List<string>();
        WrittenReport? report = null;
        Try(directory, () => Directory.CreateDirectory(directory));
        Try(RunsFile, () => WriteRuns(Path.Combine(directory, RunsFile), outcome.Runs));
        Try(CurvesFile, () => WriteCurves(Path.Combine(directory, CurvesFile), outcome.Runs));
        Try(ManifestFile, () => WriteManifest(Path.Combine(directory, ManifestFile), sweep, outcome));
        Try(ReconstructionsFile, () => WriteReconstructions(Path.Combine(directory, ReconstructionsFile), outcome.Runs));
        Try("models", () => ModelFolders.Gather(directory, outcome.Runs));
        // The tables and figures come from the files just written, by the same code as 'gfe report'.
        Try("tables and plots", () => report = ResultsReport.Write(directory, sweep.Name, sweep.Description));
        if (failed.Count > 0) throw new ResultsNotWrittenException(directory, failed);
        return report;

        void Try(string what, Action write)
        {
            try
            {
                write();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ResultsFileException)
            {
                failed.Add($"{what}: {e.Message}");
            }
        }
    }

    /// <summary>The pixels of the runs that returned reconstructions (Figure 3), for <see cref="ResultsReport"/> to
    /// draw; no file when no run did (a stale one from an earlier sweep into the same folder is removed).</summary>
    public static void WriteReconstructions(string path, IReadOnlyList<RunRecord> runs)
    {
        var samples = runs
            .Where(r => r.Status.Outcome?.Reconstructions is not null)
            .Select(r => (r.Run.Key, r.Status.Outcome!.Reconstructions!))
            .ToList();
        if (samples.Count > 0) ReconstructionsCsv.Write(path, samples);
        else File.Delete(path);
    }

    public static void WriteRuns(string path, IReadOnlyList<RunRecord> runs)
    {
        var evaluations = ResultPivot.OrderEvaluations(runs.SelectMany(r => r.Status.Outcome?.TestLoss.Keys ?? Enumerable.Empty<string>()));
        var settingNames = RunParameters.All.Select(p => p.Name).ToList();

        // Rewritten while the sweep runs (LiveRunsCsv): a reader, or a kill mid-write, must never see half a file.
        using var file = new AtomicTextFile(path, Utf8);
        var csv = new CsvWriter(file.Writer);
        csv.WriteRow([
            "key", .. settingNames, "state",
            .. evaluations.Select(e => $"testLoss.{e}"),
            "finalTrainLoss", "imagesSeen", "testImages",
            "trainAmd.solves", "trainAmd.acceptedPerSolve", "trainAmd.rejectedPerSolve", "trainAmd.forced",
            "testAmd.solves", "testAmd.acceptedPerSolve", "testAmd.rejectedPerSolve", "testAmd.forced",
            "trainSeconds", "testSeconds", "silo", "device", "amdKernelRan", "simd", "adjointKernelRan", "dataProvenance", "error", WarningsColumn,
        ]);
        foreach (var (run, status) in runs)
        {
            var outcome = status.Outcome;
            csv.WriteRow([
                run.Key,
                .. RunParameters.ToList(run.Config).Select(kv => kv.Value),
                StateName(status.State),
                .. evaluations.Select(e => outcome is not null && outcome.TestLoss.TryGetValue(e, out var loss) ? CsvWriter.Number(loss) : ""),
                CsvWriter.Number(outcome?.FinalTrainLoss),
                CsvWriter.Number(outcome?.ImagesSeen ?? status.ImagesSeen),
                CsvWriter.Number(outcome?.TestImages),
                .. Amd(outcome?.TrainAmd),
                .. Amd(outcome?.TestAmd),
                CsvWriter.Number(outcome?.TrainSeconds),
                CsvWriter.Number(outcome?.TestSeconds),
                status.Silo ?? "",
                outcome?.Device ?? "",
                outcome?.AmdKernel ?? "",
                outcome?.Simd ?? "",
                outcome?.AdjointKernel ?? "",
                outcome?.DataProvenance ?? "",
                status.Error ?? "",
                RunWarnings.For(outcome),
            ]);
        }
        file.Commit();
    }

    public static void WriteCurves(string path, IReadOnlyList<RunRecord> runs)
    {
        using var file = new StreamWriter(path, false, Utf8);
        var csv = new CsvWriter(file);
        // Evaluation points (evalEvery) are rows of their own with the test losses filled in and trainLoss empty; the
        // testLoss columns appear only when some run has an evaluation curve.
        var evaluations = ResultPivot.OrderEvaluations(runs.SelectMany(r =>
            r.Status.Outcome?.EvalCurve?.SelectMany(p => p.TestLoss.Keys) ?? Enumerable.Empty<string>()));
        csv.WriteRow(["key", "imagesSeen", "seconds", "trainLoss", .. evaluations.Select(e => $"testLoss.{e}")]);
        foreach (var (run, status) in runs)
        {
            var rows = (status.Outcome?.Curve ?? []).Select(point => (point.ImagesSeen, Order: 0, Cells: (string[])
                [run.Key, CsvWriter.Number(point.ImagesSeen), CsvWriter.Number(point.Seconds), CsvWriter.Number(point.TrainLoss),
                 .. evaluations.Select(_ => "")]));
            var evalRows = (status.Outcome?.EvalCurve ?? []).Select(point => (point.ImagesSeen, Order: 1, Cells: (string[])
                [run.Key, CsvWriter.Number(point.ImagesSeen), CsvWriter.Number(point.Seconds), "",
                 .. evaluations.Select(e => point.TestLoss.TryGetValue(e, out var loss) ? CsvWriter.Number(loss) : "")]));
            foreach (var row in rows.Concat(evalRows).OrderBy(r => r.ImagesSeen).ThenBy(r => r.Order))
                csv.WriteRow(row.Cells);
        }
    }

    /// <summary>The pivot as numbers: per evaluation the columns &lt;evaluation&gt;.mean, .std (empty for one seed)
    /// and .n; a cell without results is empty.</summary>
    public static void WriteTableCsv(string path, ResultPivot pivot)
    {
        using var file = new StreamWriter(path, false, Utf8);
        var csv = new CsvWriter(file);
        csv.WriteRow([.. pivot.RowSettings, .. pivot.Evaluations.SelectMany(e => new[] { $"{e}.mean", $"{e}.std", $"{e}.n" })]);
        foreach (var row in pivot.Rows)
        {
            csv.WriteRow([
                .. row.Settings.Select(kv => kv.Value),
                .. pivot.Evaluations.SelectMany(e => row.Cells.TryGetValue(e, out var cell)
                    ? new[] { CsvWriter.Number(cell.Mean), CsvWriter.Number(cell.StdDev), CsvWriter.Number(cell.N) }
                    : ["", "", ""]),
            ]);
        }
    }

    /// <summary>The pivot as the paper prints it: cells "mean ± std (n=…)", test loss per image.</summary>
    public static void WriteTableMarkdown(string path, SweepFile sweep, ResultPivot pivot) =>
        WriteTableMarkdown(path, sweep.Name, sweep.Description, pivot);

    public static void WriteTableMarkdown(string path, string name, string description, ResultPivot pivot)
    {
        var text = new StringBuilder();
        text.Append($"# {name}\n\n");
        if (description.Length > 0) text.Append($"{description.Trim()}\n\n");
        if (pivot.Rows.Count == 0)
        {
            text.Append("No run completed.\n");
        }
        else
        {
            text.Append($"Test loss per image ({LossName(pivot.Losses)}): mean ± sample standard deviation over seeds (n = number of seeds).");
            if (pivot.Rows.Any(r => r.Cells.Values.Any(c => c.Warned > 0)))
                text.Append($" {PivotCell.WarningMark}: the cell includes runs that diverged (the warnings column of {RunsFile}).");
            text.Append("\n\n");
            List<string> header = [.. pivot.RowSettings, .. pivot.Evaluations];
            text.Append("| ").Append(string.Join(" | ", header.Select(MarkdownCell))).Append(" |\n");
            text.Append('|').Append(string.Concat(header.Select(_ => "---|"))).Append('\n');
            foreach (var row in pivot.Rows)
            {
                List<string> cells =
                [
                    .. row.Settings.Select(kv => kv.Value),
                    .. pivot.Evaluations.Select(e => row.Cells.TryGetValue(e, out var cell) ? cell.ToString() : ""),
                ];
                text.Append("| ").Append(string.Join(" | ", cells.Select(MarkdownCell))).Append(" |\n");
            }
        }
        File.WriteAllText(path, text.ToString(), Utf8);
    }

    /// <summary>What the cells of a table hold: "loss: bce, per-feature eps-BCE"; with several losses the loss column
    /// of each row says.</summary>
    static string LossName(IReadOnlyList<string> losses) => losses switch
    {
        ["bce"] => "loss: bce, the per-feature eps-BCE",
        ["mse"] => "loss: mse, the mean squared error per feature",
        [var other] => $"loss: {other}",
        _ => "loss: see the loss column of each row",
    };

    public static void WriteManifest(string path, SweepFile sweep, SweepOutcome outcome)
    {
        var outcomes = outcome.Runs.Select(r => r.Status.Outcome).OfType<RunOutcome>().ToList();
        var manifest = new ResultsManifest(
            Sweep: sweep.Name,
            Description: sweep.Description,
            SweepFile: Path.GetFullPath(sweep.Path),
            SweepText: sweep.Text,
            StartedUtc: outcome.StartedUtc,
            FinishedUtc: outcome.FinishedUtc,
            Interrupted: outcome.Interrupted,
            Runs: outcome.Runs.Count,
            Completed: outcome.Runs.Count(r => r.Status.State == RunState.Completed),
            Failed: outcome.Runs.Count(r => r.Status.State is RunState.Failed or RunState.Cancelled),
            Unfinished: outcome.Runs.Count(r => !r.Status.IsFinished),
            DuplicatesRemoved: sweep.DuplicateNotes,
            DataProvenance: outcomes.Select(o => o.DataProvenance).Distinct().Order(StringComparer.Ordinal).ToList(),
            Devices: outcomes.Select(o => o.Device).Distinct().Order(StringComparer.Ordinal).ToList(),
            Silos: outcome.Runs.Select(r => r.Status.Silo).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList(),
            Machine: Environment.MachineName,
            OperatingSystem: RuntimeInformation.OSDescription,
            Versions: new Dictionary<string, string>
            {
                ["gfe"] = VersionOf(typeof(ResultsWriter).Assembly),
                ["engine"] = VersionOf(typeof(RunConfig).Assembly),
                ["orleans"] = VersionOf(typeof(IGrainFactory).Assembly),
                ["dotnet"] = RuntimeInformation.FrameworkDescription,
            });
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            // The manifest is for people too: keep '+', '<' and non-ASCII readable rather than \u-escaped.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(manifest, options) + "\n", Utf8);
    }

    static string[] Amd(AmdSummary? amd) => amd is null
        ? ["", "", "", ""]
        : [CsvWriter.Number(amd.Solves), CsvWriter.Number(amd.AcceptedPerSolve), CsvWriter.Number(amd.RejectedPerSolve), CsvWriter.Number(amd.ForcedAcceptances)];

    static string StateName(RunState state) => state.ToString().ToLowerInvariant();

    static string MarkdownCell(string text) => text.Replace("|", "\\|").ReplaceLineEndings(" ");

    static string VersionOf(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString(3) ?? "unknown";
}
