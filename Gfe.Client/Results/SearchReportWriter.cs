using System.Globalization;
using System.Text;
using Gfe.Engine.Data;

namespace Gfe.Client.Results;

/// <summary>
/// Writes the statistics of <see cref="SearchAnalysis"/> into a results folder: report.md (best configurations, data
/// efficiency, paired differences), best.csv, efficiency.csv, paired.csv, and the figures
/// plots/&lt;dataset&gt;.data-efficiency.png (test loss against train size, log x, 95 % CI bands) and
/// plots/search.&lt;setting&gt;.png (loss against each sampled setting).
/// </summary>
public static class SearchReportWriter
{
    public const string ReportFile = "report.md";
    public const string BestFile = "best.csv";
    public const string EfficiencyFile = "efficiency.csv";
    public const string PairedFile = "paired.csv";

    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes the files; returns the figures written.</summary>
    public static IReadOnlyList<string> Write(string directory, string name, SearchAnalysis analysis)
    {
        WriteBest(Path.Combine(directory, BestFile), analysis);
        WriteEfficiency(Path.Combine(directory, EfficiencyFile), analysis);
        WritePaired(Path.Combine(directory, PairedFile), analysis);
        File.WriteAllText(Path.Combine(directory, ReportFile), Markdown(name, analysis), Utf8);
        var plots = Path.Combine(directory, CurveFigures.Folder);
        return [.. EfficiencyFigures(plots, analysis), .. SearchFigures(plots, analysis)];
    }

    static string Markdown(string name, SearchAnalysis analysis)
    {
        var text = new StringBuilder();
        text.Append($"# {name}: report\n\n");
        text.Append("Test loss per image. Mean ± half-width of the 95 % confidence interval of the mean over replicates (Student t, n - 1 degrees of freedom), n = replicates.\n\n");

        text.Append("## Best configurations\n\n");
        var shown = analysis.VaryingSettings.Where(s => s != "method").ToList();
        foreach (var evaluation in analysis.Evaluations)
        {
            var ranked = analysis.Best.Where(b => b.Evaluation == evaluation).ToList();
            if (ranked.Count == 0) continue;
            text.Append($"### {evaluation}\n\n");
            Table(text, ["rank", "test loss", "method", .. shown],
                ranked.Select(b => (IReadOnlyList<string>)[b.Rank.ToString(Invariant), b.Loss.Text(), b.Configuration.Setting("method"), .. shown.Select(b.Configuration.Setting)]));
        }

        if (analysis.EarlyStopping is { } saved)
        {
            text.Append("## Early stopping\n\n");
            text.Append("Training images the runs spent (a stopped run up to the rung it reached) against a full run of every trial.\n\n");
            Table(text, ["runs", "stopped early", "images spent", "images for full runs", "share"],
                [[saved.Runs.ToString(Invariant), saved.Stopped.ToString(Invariant), saved.ImagesSpent.ToString(Invariant),
                  saved.ImagesFull.ToString(Invariant), saved.Fraction.ToString("P1", Invariant)]]);
            text.Append($"Figure: plots/{EarlyStopFigure.File} (each trial's metric against training images, stopped trials apart, the rungs as lines)\n\n");
        }

        var sizes = analysis.Efficiency.Select(p => (p.Dataset, p.TrainSize)).Distinct().ToList();
        if (sizes.Count > 0)
        {
            text.Append("## Data efficiency\n\n");
            text.Append("Test loss against train size, per evaluation: the best configuration at each size.\n\n");
            foreach (var dataset in analysis.Efficiency.GroupBy(p => p.Dataset))
            {
                var evaluations = dataset.Select(p => p.Evaluation).Distinct().ToList();
                text.Append($"### {dataset.Key}\n\n");
                Table(text, ["trainSize", .. evaluations],
                    dataset.GroupBy(p => p.TrainSize).OrderBy(g => g.Key).Select(size => (IReadOnlyList<string>)
                        [Size(size.Key), .. evaluations.Select(e => size.FirstOrDefault(p => p.Evaluation == e)?.Loss.Text() ?? "")]));
                var reach = analysis.ToReach.Where(r => r.Dataset == dataset.Key).ToList();
                if (reach.Count > 0)
                {
                    text.Append($"Training images to reach test loss {reach[0].Target.ToString("F4", Invariant)} (the lowest loss every evaluation reaches; interpolated in log train size):\n\n");
                    Table(text, ["evaluation", "training images"],
                        reach.Select(r => (IReadOnlyList<string>)[r.Evaluation, (r.AtMost ? "<= " : "") + r.TrainSize.ToString("#,0", Invariant)]));
                }
                text.Append($"Figure: plots/{dataset.Key}.data-efficiency.png\n\n");
            }
        }

        if (analysis.Paired.Count > 0)
        {
            text.Append("## Paired differences\n\n");
            text.Append("A - B per seed at the same dataset and train size (negative: A has the lower loss): mean ± 95 % CI, the paired t test and the Wilcoxon signed-rank test (exact), two-sided p-values.\n\n");
            Table(text, ["dataset", "trainSize", "A - B", "difference", "t", "p (t)", "W+", "p (Wilcoxon)"],
                analysis.Paired.Select(p => (IReadOnlyList<string>)
                [
                    p.Dataset, Size(p.TrainSize), $"{p.A} - {p.B}", p.Test.Difference.Text(),
                    p.Test.TStatistic?.ToString("F3", Invariant) ?? "", p.Test.TPValue?.ToString("G3", Invariant) ?? "",
                    p.Test.WPlus.ToString("G", Invariant), p.Test.WilcoxonPValue?.ToString("G3", Invariant) ?? "",
                ]));
        }
        return text.ToString();
    }

    static string Size(int trainSize) => trainSize == 0 ? "all" : trainSize.ToString(Invariant);

    static void Table(StringBuilder text, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        text.Append("| ").Append(string.Join(" | ", header.Select(Cell))).Append(" |\n");
        text.Append('|').Append(string.Concat(header.Select(_ => "---|"))).Append('\n');
        foreach (var row in rows)
            text.Append("| ").Append(string.Join(" | ", row.Select(Cell))).Append(" |\n");
        text.Append('\n');
    }

    static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");

    static void WriteBest(string path, SearchAnalysis analysis)
    {
        using var file = new StreamWriter(path, false, Utf8);
        var csv = new CsvWriter(file);
        var settings = analysis.Best.SelectMany(b => b.Configuration.Settings.Select(kv => kv.Key)).Distinct().ToList();
        csv.WriteRow(["evaluation", "rank", "mean", "ci95Low", "ci95High", "n", .. settings]);
        foreach (var b in analysis.Best)
            csv.WriteRow([b.Evaluation, b.Rank.ToString(Invariant), CsvWriter.Number(b.Loss.Mean), CsvWriter.Number(b.Loss.Low95),
                CsvWriter.Number(b.Loss.High95), b.Loss.N.ToString(Invariant), .. settings.Select(b.Configuration.Setting)]);
    }

    static void WriteEfficiency(string path, SearchAnalysis analysis)
    {
        using var file = new StreamWriter(path, false, Utf8);
        var csv = new CsvWriter(file);
        csv.WriteRow(["dataset", "evaluation", "trainSize", "mean", "ci95Low", "ci95High", "n", "method"]);
        foreach (var p in analysis.Efficiency)
            csv.WriteRow([p.Dataset, p.Evaluation, p.TrainSize.ToString(Invariant), CsvWriter.Number(p.Loss.Mean), CsvWriter.Number(p.Loss.Low95),
                CsvWriter.Number(p.Loss.High95), p.Loss.N.ToString(Invariant), p.Configuration.Setting("method")]);
    }

    static void WritePaired(string path, SearchAnalysis analysis)
    {
        using var file = new StreamWriter(path, false, Utf8);
        var csv = new CsvWriter(file);
        csv.WriteRow(["dataset", "trainSize", "a", "b", "n", "meanDifference", "ci95Low", "ci95High", "t", "pT", "wPlus", "pWilcoxon"]);
        foreach (var p in analysis.Paired)
            csv.WriteRow([p.Dataset, p.TrainSize.ToString(Invariant), p.A, p.B, p.Test.Difference.N.ToString(Invariant),
                CsvWriter.Number(p.Test.Difference.Mean), CsvWriter.Number(p.Test.Difference.Low95), CsvWriter.Number(p.Test.Difference.High95),
                CsvWriter.Number(p.Test.TStatistic), CsvWriter.Number(p.Test.TPValue), CsvWriter.Number(p.Test.WPlus), CsvWriter.Number(p.Test.WilcoxonPValue)]);
    }

    /// <summary>Per dataset with more than one train size: test loss against train size (log axis), one line per
    /// evaluation with its 95 % CI band.</summary>
    static IEnumerable<string> EfficiencyFigures(string folder, SearchAnalysis analysis)
    {
        foreach (var dataset in analysis.Efficiency.GroupBy(p => p.Dataset))
        {
            if (dataset.Select(p => p.TrainSize).Distinct().Count() < 2) continue;
            int whole = DatasetCatalog.Find(dataset.Key)?.TrainCount ?? 60_000;
            var plot = ReportFigure.Create($"{dataset.Key}: test loss against train size", "training images", "test loss (per image)");
            int colour = 0;
            foreach (var line in dataset.GroupBy(p => p.Evaluation))
            {
                var points = line.OrderBy(p => p.TrainSize == 0 ? whole : p.TrainSize).ToList();
                double[] xs = [.. points.Select(p => Math.Log10(p.TrainSize == 0 ? whole : p.TrainSize))];
                double[] ys = [.. points.Select(p => p.Loss.Mean)];
                var color = plot.Add.Palette.GetColor(colour++);
                if (points.All(p => p.Loss.HalfWidth95 is not null))
                {
                    var band = plot.Add.FillY(xs, [.. points.Select(p => p.Loss.Low95!.Value)], [.. points.Select(p => p.Loss.High95!.Value)]);
                    band.FillColor = color.WithAlpha(0.2);
                    band.LineColor = ScottPlot.Colors.Transparent;
                }
                var scatter = plot.Add.Scatter(xs, ys, color);
                scatter.LegendText = line.Key;
            }
            // A tick at each train size of the sweep: sizes are few and chosen, and a decade grid may show none.
            var sizes = dataset.Select(p => p.TrainSize == 0 ? whole : p.TrainSize).Distinct().Order().ToList();
            plot.Axes.Bottom.SetTicks([.. sizes.Select(n => Math.Log10(n))], [.. sizes.Select(n => n.ToString("#,0", Invariant))]);
            plot.ShowLegend();
            yield return ReportFigure.Save(plot, folder, $"{dataset.Key}.data-efficiency.png");
        }
    }

    /// <summary>Per sampled setting: the replicate-mean loss of every configuration against the setting's value, one
    /// colour per evaluation; a log axis when the values are positive and span more than a decade. A setting whose
    /// values are not numbers (a choice of lists such as <c>hidden</c>, or of names) gets one labelled column per
    /// value, the evaluations side by side in it.</summary>
    static IEnumerable<string> SearchFigures(string folder, SearchAnalysis analysis)
    {
        var configurations = analysis.Configurations;
        foreach (var setting in analysis.SampledSettings)
        {
            var texts = configurations.Select(c => c.Setting(setting)).ToList();
            var numbers = texts
                .Select(t => double.TryParse(t, NumberStyles.Float, Invariant, out var x) ? (double?)x : null)
                .ToList();
            bool numeric = numbers.All(v => v is not null);
            var categories = numeric ? [] : texts.Distinct().Order(StringComparer.Ordinal).ToList();
            bool log = numeric && numbers.All(v => v > 0) && numbers.Max()!.Value / numbers.Min()!.Value > 10;
            var plot = ReportFigure.Create($"search: test loss against {setting}", setting, "test loss (per image, mean over replicates)");
            int colour = 0;
            // Losses at different datasets or train sizes are not comparable: one colour per evaluation and group.
            var groups = configurations.Select(c => (c.Setting("dataset"), c.Setting("trainSize"))).Distinct().ToList();
            int series = analysis.Evaluations.Count * groups.Count;
            foreach (var evaluation in analysis.Evaluations)
            foreach (var (dataset, trainSize) in groups)
            {
                // Side by side within a category's column, so that the evaluations do not hide each other.
                double offset = numeric || series == 1 ? 0 : 0.5 * ((colour + 0.5) / series - 0.5);
                var points = configurations
                    .Select((c, i) => (X: numeric ? numbers[i]!.Value : categories.IndexOf(texts[i]) + offset,
                                       Loss: c.Summary(evaluation), Group: (c.Setting("dataset"), c.Setting("trainSize"))))
                    .Where(p => p.Loss is not null && p.Group == (dataset, trainSize))
                    .ToList();
                if (points.Count == 0) { colour++; continue; }
                double[] xs = [.. points.Select(p => log ? Math.Log10(p.X) : p.X)];
                double[] ys = [.. points.Select(p => p.Loss!.Mean)];
                var scatter = plot.Add.ScatterPoints(xs, ys, plot.Add.Palette.GetColor(colour++));
                scatter.LegendText = groups.Count == 1 ? evaluation : $"{evaluation}, {dataset} n={trainSize}";
            }
            if (log) ReportFigure.LogBottomAxis(plot);
            if (!numeric)
            {
                plot.Axes.Bottom.SetTicks([.. categories.Select((_, i) => (double)i)], [.. categories]);
                plot.Axes.SetLimitsX(-0.5, categories.Count - 0.5);
            }
            plot.ShowLegend();
            yield return ReportFigure.Save(plot, folder, $"search.{setting}.png");
        }
    }
}
