using System.Globalization;
using System.Text;
using Gfe.Engine.Data;
using Gfe.Engine.Data.Files;
using ScottPlot;

namespace Gfe.Client.Results;

/// <summary>
/// The test-set latent codes of runs with <c>latents: true</c> on a dataset with per-sample labels, against those
/// labels: per run and label column j, <c>latents/&lt;key&gt;.label&lt;j&gt;.png</c>, a scatter over the test samples
/// with label j on the x axis and, for every other label column k (k = j when there is only one), the best single
/// latent direction for label k (the least-squares fit w·z + b of <see cref="LatentAnalysis.Fit"/>, in label k's units)
/// beside label k itself; for a label that takes both signs also the direction for its absolute value beside
/// |label k|. For the Ising dataset (labels: temperature, magnetisation m) the figure against temperature shows the
/// latent directions for m and |m| beside m and |m|, the order parameter (Wetzel 2017). Built-in datasets' labels are
/// classes, not quantities, and get no figure. The report (report.md) gains a section with the correlations
/// (<see cref="LatentAnalysis.Table"/>) and these figures.
/// </summary>
public static class LatentFigures
{
    /// <summary>Label columns drawn at most; a wider label file gets figures for its first columns.</summary>
    public const int MaxLabelColumns = 4;

    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Writes the figures into the latents folder; returns their paths.</summary>
    public static IReadOnlyList<string> Write(string directory, IReadOnlyList<RunRow> runs)
    {
        var folder = Path.Combine(directory, ModelFolders.LatentsFolder);
        var written = new List<string>();
        if (!Directory.Exists(folder)) return written;
        foreach (var stale in Directory.GetFiles(folder, "*.label*.png")) File.Delete(stale);
        foreach (var run in runs)
        {
            if (DatasetCatalog.Find(run.Setting("dataset")) is not null) continue;
            if (LatentAnalysis.ReadPair(folder, run.Key) is not var (latents, labels)) continue;
            int columns = Math.Min(labels.FeatureCount, MaxLabelColumns);
            var names = LatentAnalysis.LabelNames(directory, run.Key, labels.FeatureCount)
                ?? [.. Enumerable.Range(0, labels.FeatureCount).Select(j => $"label {j}")];
            var y = Enumerable.Range(0, columns)
                .Select(j => Enumerable.Range(0, labels.Count).Select(i => (double)labels.Values[i * labels.FeatureCount + j]).ToArray())
                .ToArray();
            for (int j = 0; j < columns; j++)
            {
                var plot = ReportFigure.Create($"{run.Key}: test latents against {names[j]}", names[j],
                    "label value, and the best latent direction for it (w·z + b)");
                int colour = 0;
                foreach (int k in columns == 1 ? [j] : Enumerable.Range(0, columns).Where(k => k != j))
                {
                    Target(plot, y[j], y[k], names[k], latents, ref colour);
                    if (y[k].Min() < 0 && y[k].Max() > 0)
                        Target(plot, y[j], [.. y[k].Select(Math.Abs)], $"|{names[k]}|", latents, ref colour);
                }
                plot.ShowLegend();
                written.Add(ReportFigure.Save(plot, folder, $"{run.Key}.label{j}.png"));
            }
        }
        return written;
    }

    /// <summary>One target: its values (grey) and the best latent direction for it (a colour), against x.</summary>
    static void Target(Plot plot, double[] x, double[] target, string name, SampleArray latents, ref int colour)
    {
        var fit = LatentAnalysis.Fit(latents, target);
        var truth = plot.Add.ScatterPoints(x, target, colour == 0 ? Colors.Black.WithAlpha(0.45) : Colors.Gray.WithAlpha(0.45));
        truth.MarkerSize = 4;
        truth.LegendText = name;
        var direction = plot.Add.ScatterPoints(x, fit, plot.Add.Palette.GetColor(colour++).WithAlpha(0.75));
        direction.MarkerSize = 5;
        direction.LegendText = string.Create(Invariant, $"best latent direction for {name} (r = {LatentAnalysis.Pearson(fit, target):F3})");
    }

    /// <summary>Appends the section "Latent codes against labels" to report.md: the correlations and the figures.</summary>
    public static void AppendSection(string reportPath, IReadOnlyList<LatentCorrelation> rows, IReadOnlyList<string> figures, string latentsFolder)
    {
        if (rows.Count == 0 || !File.Exists(reportPath)) return;
        var text = new StringBuilder("## Latent codes against labels\n\n");
        text.Append("Per run, the test codes z are fitted to each label column by least squares (w·z + b): the best single direction in latent ");
        text.Append("space for that label. r is the correlation of that direction with the label, and with its absolute value (for a ");
        text.Append("magnetisation, |m| is the order parameter); mean ± std over seeds, n seeds. The fit is in-sample");
        var shape = rows.Select(r => Path.Combine(latentsFolder, r.Key + ".npy")).Where(File.Exists).Select(NpyFile.Read).FirstOrDefault();
        if (shape is { Count: > 0 })
            text.Append(string.Create(Invariant,
                $": codes unrelated to the label reach r of about sqrt(d / M) = {Math.Sqrt((double)shape.FeatureCount / shape.Count):F2} here (d = {shape.FeatureCount} codes, M = {shape.Count} test samples)"));
        text.Append(".\n\n");
        text.Append(LatentAnalysis.Table(rows)).Append('\n');
        if (figures.Count > 0)
        {
            text.Append("Figures (per run and label column j: the label on the x axis, the other labels and the best latent direction for each):\n\n");
            foreach (var figure in figures)
                text.Append("- ").Append(Path.GetRelativePath(Path.GetDirectoryName(reportPath)!, figure).Replace('\\', '/')).Append('\n');
            text.Append('\n');
        }
        File.AppendAllText(reportPath, text.ToString(), new UTF8Encoding(false));
    }
}
