using System.Text.Json;

namespace Gfe.Client.Results;

/// <summary>
/// The report of a results folder, made from its runs.csv, curves.csv and (when present) reconstructions.csv only (no
/// cluster needed, so a folder copied from elsewhere works too): table.md and table.csv (the pivot), the curves in
/// plots/ and the reconstruction pictures in reconstructions/, the search report (report.md and its CSV files and
/// figures), and report.html, all of it on one self-contained page. <c>gfe sweep run</c> ends
/// with it and <c>gfe report</c> redoes it.
/// </summary>
public static class ResultsReport
{
    /// <summary>Reads the folder's result files and writes the tables and figures; the table's title is the sweep
    /// name and description (from manifest.json when not given, else the folder name).</summary>
    /// <exception cref="ResultsFileException">runs.csv or curves.csv is missing, or a result file is malformed.</exception>
    public static WrittenReport Write(string directory, string? name = null, string? description = null)
    {
        if (!Directory.Exists(directory))
            throw new ResultsFileException($"{directory}: no such results folder", missing: true);
        var runs = RunsCsv.Read(Path.Combine(directory, ResultsWriter.RunsFile));
        var curves = CurvesCsv.Read(Path.Combine(directory, ResultsWriter.CurvesFile));
        if (name is null) (name, description) = TitleOf(directory);

        var pivot = ResultPivot.Build(runs);
        ResultsWriter.WriteTableMarkdown(Path.Combine(directory, ResultsWriter.TableMarkdownFile), name, description ?? "", pivot);
        ResultsWriter.WriteTableCsv(Path.Combine(directory, ResultsWriter.TableCsvFile), pivot);
        var figures = CurveFigures.Write(Path.Combine(directory, CurveFigures.Folder), runs, curves).ToList();
        var analysis = SearchAnalysis.Build(runs);
        figures.AddRange(SearchReportWriter.Write(directory, name, analysis));
        if (EarlyStopFigure.Write(Path.Combine(directory, CurveFigures.Folder), directory, runs, curves) is { } earlyStopping)
            figures.Add(earlyStopping);
        var reconstructions = Path.Combine(directory, ResultsWriter.ReconstructionsFile);
        if (File.Exists(reconstructions))
            figures.AddRange(ReconstructionFigures.Write(Path.Combine(directory, ResultsWriter.ReconstructionsFolder), runs, ReconstructionsCsv.Read(reconstructions)));
        var latents = LatentAnalysis.Write(directory, runs);
        var latentFigures = LatentFigures.Write(directory, runs);
        figures.AddRange(latentFigures);
        LatentFigures.AppendSection(Path.Combine(directory, SearchReportWriter.ReportFile), latents, latentFigures, Path.Combine(directory, ModelFolders.LatentsFolder));
        // Last: the page inlines every table and figure written above.
        HtmlReport.Write(directory, name);
        return new WrittenReport(pivot, figures) { Analysis = analysis, Latents = latents };
    }

    /// <summary>The sweep's name and description from manifest.json; the folder's name when there is none.</summary>
    static (string Name, string Description) TitleOf(string directory)
    {
        var fallback = (Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))), "");
        var manifest = Path.Combine(directory, ResultsWriter.ManifestFile);
        if (!File.Exists(manifest)) return fallback;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(manifest));
            var root = json.RootElement;
            return root.TryGetProperty("sweep", out var sweep) && sweep.ValueKind == JsonValueKind.String
                ? (sweep.GetString()!, root.TryGetProperty("description", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString()! : "")
                : fallback;
        }
        catch (JsonException)
        {
            // The manifest only supplies a title; a damaged one must not stop the report.
            return fallback;
        }
    }
}
