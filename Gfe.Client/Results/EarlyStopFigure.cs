using System.Globalization;
using System.Text.Json;
using Gfe.Engine.Runs;
using Gfe.Engine.Search;
using YamlDotNet.RepresentationModel;

namespace Gfe.Client.Results;

/// <summary>
/// The search report's picture of early stopping, <c>plots/search.early-stopping.png</c>: each trial's metric (the
/// mean over its replicates of the evaluation the rule compared) against training images, trials that went on to
/// the end in one colour and trials stopped at a rung in another (a marker where each stopped), and a vertical line
/// at each rung. Beside the "Early stopping" table of report.md, which says what stopping saved. Drawn from runs.csv,
/// curves.csv and the sweep file in manifest.json alone, like the rest of the report.
/// </summary>
public static class EarlyStopFigure
{
    public const string File = "search.early-stopping.png";

    /// <summary>The colours of trials that continued to the end and of stopped ones, and of the rung lines: fixed, so
    /// that a reader (and a test) can tell them apart.</summary>
    public static readonly ScottPlot.Color Continued = ScottPlot.Color.FromHex("#1f77b4"),
        Stopped = ScottPlot.Color.FromHex("#ff7f0e"),
        Rung = ScottPlot.Color.FromHex("#9467bd");

    /// <summary>One trial: its settings but the seed (as a label), whether it stopped at a rung, and its
    /// replicate-mean metric at each training-image count every replicate recorded.</summary>
    public sealed record Trial(string Label, bool StoppedEarly, IReadOnlyList<(double Images, double Metric)> Curve);

    /// <summary>What the figure shows: the metric, the trials and the rungs (training images).</summary>
    public sealed record Chart(string Metric, IReadOnlyList<Trial> Trials, IReadOnlyList<long> Rungs);

    /// <summary>The rule's settings as the sweep file gave them (manifest.json's copy), when it can be read.</summary>
    public sealed record Rule(EarlyStopRule Kind, string Metric, long FirstRung, int Reduction);

    /// <summary>
    /// The figure's content, or null when no run stopped early. The metric is the rule's (from
    /// <paramref name="rule"/>), else the first evaluation (in the report's order) that every stopped run reports. The
    /// rungs are the rule's up to the longest run, else the image counts at which runs stopped.
    /// </summary>
    public static Chart? Build(IReadOnlyList<RunRow> runs, IReadOnlyList<CurvePoint> curves, Rule? rule)
    {
        var trained = runs.Where(r => r.State is RunRow.CompletedState or EarlyStopSavings.StoppedState).ToList();
        var stopped = trained.Where(r => r.State == EarlyStopSavings.StoppedState).ToList();
        if (stopped.Count == 0) return null;
        var evaluations = ResultPivot.OrderEvaluations(stopped.SelectMany(r => r.TestLoss.Keys));
        string? metric = rule is not null
            ? evaluations.FirstOrDefault(e => string.Equals(e, rule.Metric, StringComparison.OrdinalIgnoreCase))
            : evaluations.FirstOrDefault(e => stopped.All(r => r.TestLoss.ContainsKey(e)));
        if (metric is null) return null;

        var pointsByKey = curves.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => (IReadOnlyList<CurvePoint>)g.ToList());
        var trials = trained
            .GroupBy(r => string.Join(", ", r.Settings.Where(kv => kv.Key != "seed").Select(kv => $"{kv.Key}={kv.Value}")))
            .Select(g => new Trial(
                g.Key,
                g.Any(r => r.State == EarlyStopSavings.StoppedState),
                CurveFigures.MeanOverSeeds(g.Select(r => pointsByKey.GetValueOrDefault(r.Key, [])).ToList(),
                        p => p.TestLoss.TryGetValue(metric, out var loss) ? loss : null)
                    .Select(p => (p.Images, p.Loss)).ToList()))
            .Where(t => t.Curve.Count > 0)
            .ToList();
        if (trials.Count == 0) return null;

        IReadOnlyList<long> rungs;
        if (rule is not null)
        {
            long longest = trained.Max(r => r.ImagesSeen ?? 0);
            rungs = longest < 1 ? [] : EarlyStopper.RungImages(rule.Kind, rule.FirstRung, rule.Reduction, longest).Where(n => n < longest).ToList();
        }
        else
            rungs = stopped.Where(r => r.ImagesSeen is not null).Select(r => r.ImagesSeen!.Value).Distinct().Order().ToList();
        return new Chart(metric, trials, rungs);
    }

    /// <summary>Draws the chart into <paramref name="folder"/>; returns the file, or null when there is nothing to draw.</summary>
    public static string? Write(string folder, string resultsDirectory, IReadOnlyList<RunRow> runs, IReadOnlyList<CurvePoint> curves)
    {
        if (Build(runs, curves, RuleOf(resultsDirectory)) is not { } chart) return null;
        var plot = ReportFigure.Create($"early stopping: {chart.Metric} against training images", "training images", $"test loss {chart.Metric} (mean over replicates)");
        // A log axis when the rungs are geometric over more than a decade (ASHA on a long run).
        double smallest = chart.Trials.SelectMany(t => t.Curve).Where(p => p.Images > 0).Select(p => p.Images).DefaultIfEmpty(1).Min();
        double largest = chart.Trials.SelectMany(t => t.Curve).Max(p => p.Images);
        bool log = largest / smallest > 10;
        double X(double images) => log ? Math.Log10(images) : images;

        bool continuedNamed = false, stoppedNamed = false;
        foreach (var trial in chart.Trials.OrderBy(t => !t.StoppedEarly))
        {
            var points = trial.Curve.Where(p => !log || p.Images > 0).ToList();
            if (points.Count == 0) continue;
            var colour = trial.StoppedEarly ? Stopped : Continued;
            var line = plot.Add.Scatter(points.Select(p => X(p.Images)).ToArray(), points.Select(p => p.Metric).ToArray(), colour);
            line.LineWidth = 2;
            line.MarkerSize = 0;
            if (trial.StoppedEarly)
            {
                plot.Add.Marker(X(points[^1].Images), points[^1].Metric, ScottPlot.MarkerShape.FilledCircle, 7, colour);
                if (!stoppedNamed) line.LegendText = $"stopped at a rung ({Trials(chart.Trials.Count(t => t.StoppedEarly))})";
                stoppedNamed = true;
            }
            else
            {
                if (!continuedNamed) line.LegendText = $"went on to the end ({Trials(chart.Trials.Count(t => !t.StoppedEarly))})";
                continuedNamed = true;
            }
        }
        bool rungNamed = false;
        foreach (var rung in chart.Rungs.Where(n => !log || n > 0))
        {
            var vertical = plot.Add.VerticalLine(X(rung), 2, Rung, ScottPlot.LinePattern.Dashed);
            if (!rungNamed) vertical.LegendText = "rungs";
            rungNamed = true;
        }
        if (log) ReportFigure.LogBottomAxis(plot);
        // Upper right: the curves fall towards the lower right, where the legend would hide the trials that went on.
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return ReportFigure.Save(plot, folder, File);
    }

    static string Trials(int n) => n == 1 ? "1 trial" : $"{n} trials";

    /// <summary>The earlyStop section of the sweep file kept in manifest.json; null when there is none or it cannot
    /// be read (the figure then falls back on what runs.csv shows).</summary>
    public static Rule? RuleOf(string resultsDirectory)
    {
        var manifest = Path.Combine(resultsDirectory, ResultsWriter.ManifestFile);
        if (!System.IO.File.Exists(manifest)) return null;
        try
        {
            using var json = JsonDocument.Parse(System.IO.File.ReadAllText(manifest));
            if (!json.RootElement.TryGetProperty("sweepText", out var text) || text.ValueKind != JsonValueKind.String) return null;
            var yaml = new YamlStream();
            yaml.Load(new StringReader(text.GetString()!));
            if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root) return null;
            if (!root.Children.TryGetValue(new YamlScalarNode("earlyStop"), out var node) || node is not YamlMappingNode section) return null;
            string? Value(string key) => section.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;
            if (!Enum.TryParse<EarlyStopRule>(Value("rule"), ignoreCase: true, out var kind) || Value("metric") is not { } metric
                || !long.TryParse(Value("rungs"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var first) || first < 1)
                return null;
            int reduction = int.TryParse(Value("reduction"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) && r >= 2 ? r : 3;
            return new Rule(kind, metric, first, reduction);
        }
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException or IOException)
        {
            // The manifest only refines the figure; a damaged one must not stop the report.
            return null;
        }
    }
}
