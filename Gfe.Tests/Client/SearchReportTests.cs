using System.Globalization;
using Gfe.Client.Results;
using SkiaSharp;
using Xunit;

namespace Gfe.Tests.Client;

/// <summary>The report's statistics against hand computations, and the files and figures it writes.</summary>
public sealed class SearchReportTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("gfe-search-report-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void The_confidence_interval_is_the_t_quantile_times_the_standard_error()
    {
        var summary = SampleStatistics.Summarize([0.30, 0.32, 0.34]);

        Assert.Equal(0.32, summary.Mean, 12);
        Assert.Equal(0.02, summary.StdDev!.Value, 12);
        // t(0.975, 2 df) = 4.302653 (a t table); 4.302653 * 0.02 / sqrt(3) = 0.049683.
        Assert.Equal(4.302653 * 0.02 / Math.Sqrt(3), summary.HalfWidth95!.Value, 6);
        Assert.Equal("0.3200 ± 0.0497 (n=3)", summary.Text());
        Assert.Null(SampleStatistics.Summarize([0.5]).HalfWidth95);
    }

    [Fact]
    public void The_paired_t_test_matches_the_closed_form_for_two_degrees_of_freedom()
    {
        var test = SampleStatistics.Paired([0.25, 0.28, 0.28], [0.30, 0.32, 0.34]);

        // d = -0.05, -0.04, -0.06: mean -0.05, sd 0.01, t = -0.05 / (0.01 / sqrt 3) = -8.660254.
        Assert.Equal(-0.05, test.Difference.Mean, 12);
        Assert.Equal(-0.05 / (0.01 / Math.Sqrt(3)), test.TStatistic!.Value, 6);
        // With 2 degrees of freedom, P(|T| > t) = 1 - t / sqrt(2 + t^2).
        double t = Math.Abs(test.TStatistic.Value);
        Assert.Equal(1 - t / Math.Sqrt(2 + t * t), test.TPValue!.Value, 9);
        Assert.Equal(0.013072, test.TPValue.Value, 5);
        // Every difference negative: W+ = 0; of the 2^3 sign patterns only all-minus and all-plus are as extreme.
        Assert.Equal(0, test.WPlus);
        Assert.Equal(0.25, test.WilcoxonPValue!.Value, 12);
    }

    [Fact]
    public void The_wilcoxon_test_counts_sign_patterns_exactly_also_with_ties_and_zeros()
    {
        // |d| ranks 1..5, W+ = 1 + 3 + 4 + 5 = 13; subsets of {1..5} summing to <= 2 or >= 13: {}, {1}, {2} and
        // their complements, 6 of 32.
        var (wPlus, n, p) = SampleStatistics.WilcoxonSignedRank([1, -2, 3, 4, 5]);
        Assert.Equal(13, wPlus);
        Assert.Equal(5, n);
        Assert.Equal(6 / 32.0, p!.Value, 12);

        // Ties share the mean rank (1.5, 1.5, 3); a zero is dropped. W+ = 3 = n(n+1)/4: p = 1.
        (wPlus, n, p) = SampleStatistics.WilcoxonSignedRank([1, 1, -2, 0]);
        Assert.Equal(3, wPlus);
        Assert.Equal(3, n);
        Assert.Equal(1, p!.Value, 12);
    }

    static RunRow Row(string method, int trainSize, int seed, double lr, Dictionary<string, double> loss) => new(
        $"{method}.n{trainSize}.s{seed}.{lr}",
        [
            KeyValuePair.Create("method", method), KeyValuePair.Create("dataset", "mnist"),
            KeyValuePair.Create("trainSize", trainSize.ToString(CultureInfo.InvariantCulture)),
            KeyValuePair.Create("seed", seed.ToString(CultureInfo.InvariantCulture)),
            KeyValuePair.Create("lr", lr.ToString("R", CultureInfo.InvariantCulture)),
        ],
        RunRow.CompletedState,
        loss);

    /// <summary>AE and GFE-amd at two sizes and two learning rates, three seeds; GFE-amd better by a seed-dependent
    /// margin, lr 1e-3 better than 1e-2 for both.</summary>
    static List<RunRow> Sweep()
    {
        var rows = new List<RunRow>();
        foreach (var size in new[] { 480, 4800 })
            foreach (var lr in new[] { 1e-3, 1e-2 })
                foreach (var seed in new[] { 0, 1, 2 })
                {
                    double ae = (size == 480 ? 0.30 : 0.20) + (lr == 1e-2 ? 0.05 : 0) + 0.01 * seed;
                    rows.Add(Row("ae", size, seed, lr, new() { ["AE"] = ae, ["Mixed"] = ae + 0.02 }));
                    rows.Add(Row("gfe-amd", size, seed, lr, new() { ["GFE-amd"] = ae - 0.05 - 0.02 * seed }));
                }
        rows.Add(Row("ae", 480, 9, 1e-3, new()) with { State = "failed" });
        return rows;
    }

    [Fact]
    public void The_analysis_ranks_configurations_by_replicate_mean_and_pairs_evaluations_by_seed()
    {
        var analysis = SearchAnalysis.Build(Sweep(), top: 2);

        Assert.Equal(["AE", "GFE-amd", "Mixed"], analysis.Evaluations);
        Assert.Equal(["trainSize", "lr"], analysis.VaryingSettings.Where(s => s != "method"));
        // Best AE: n4800 lr 1e-3 (0.20, 0.21, 0.22), then n4800 lr 1e-2.
        var bestAe = analysis.Best.Where(b => b.Evaluation == "AE").ToList();
        Assert.Equal(2, bestAe.Count);
        Assert.Equal(("4800", "0.001"), (bestAe[0].Configuration.Setting("trainSize"), bestAe[0].Configuration.Setting("lr")));
        Assert.Equal(0.21, bestAe[0].Loss.Mean, 12);
        Assert.Equal(3, bestAe[0].Loss.N);
        Assert.Equal(4.302653 * 0.01 / Math.Sqrt(3), bestAe[0].Loss.HalfWidth95!.Value, 6);

        // Data efficiency: the best lr at each size, per evaluation.
        var gfe480 = analysis.Efficiency.Single(p => p.Evaluation == "GFE-amd" && p.TrainSize == 480);
        Assert.Equal("0.001", gfe480.Configuration.Setting("lr"));
        Assert.Equal(0.24, gfe480.Loss.Mean, 12);

        // Loss every evaluation reaches: max(AE 0.21, GFE-amd 0.14, Mixed 0.23) = 0.23. AE: 0.31 at 480, 0.21 at 4800,
        // 0.8 of the way in log size; GFE-amd: 0.24 -> 0.14, 0.1 of the way; Mixed: reaches it at 4800.
        Assert.All(analysis.ToReach, r => Assert.Equal(0.23, r.Target, 12));
        Assert.Equal(Math.Pow(10, Math.Log10(480) + 0.8), analysis.ToReach.Single(r => r.Evaluation == "AE").TrainSize, 6);
        Assert.Equal(Math.Pow(10, Math.Log10(480) + 0.1), analysis.ToReach.Single(r => r.Evaluation == "GFE-amd").TrainSize, 6);
        Assert.Equal(4800, analysis.ToReach.Single(r => r.Evaluation == "Mixed").TrainSize, 6);
        Assert.DoesNotContain(analysis.ToReach, r => r.AtMost);

        // GFE-amd - AE at 480: d = -0.05, -0.07, -0.09: mean -0.07, sd 0.02.
        var paired = analysis.Paired.Single(p => p.TrainSize == 480 && p.A == "GFE-amd" && p.B == "AE");
        Assert.Equal(["0", "1", "2"], paired.Seeds);
        Assert.Equal(-0.07, paired.Test.Difference.Mean, 12);
        double t = -0.07 / (0.02 / Math.Sqrt(3));
        Assert.Equal(t, paired.Test.TStatistic!.Value, 6);
        Assert.Equal(1 - Math.Abs(t) / Math.Sqrt(2 + t * t), paired.Test.TPValue!.Value, 9);
        Assert.Equal(0.25, paired.Test.WilcoxonPValue!.Value, 12);
        // Mixed - AE is a constant 0.02: no spread, so no t statistic; Wilcoxon still p = 0.25.
        var mixed = analysis.Paired.Single(p => p.TrainSize == 480 && p.A == "Mixed" && p.B == "AE");
        Assert.Null(mixed.Test.TStatistic);
        Assert.Equal(0.25, mixed.Test.WilcoxonPValue!.Value, 12);
    }

    [Fact]
    public void The_report_writes_tables_that_read_back_and_figures_that_show_something()
    {
        var figures = SearchReportWriter.Write(directory, "test", SearchAnalysis.Build(Sweep()));

        var efficiency = File.ReadAllLines(Path.Combine(directory, SearchReportWriter.EfficiencyFile));
        Assert.Equal("dataset,evaluation,trainSize,mean,ci95Low,ci95High,n,method", efficiency[0]);
        var gfe = efficiency.Single(l => l.StartsWith("mnist,GFE-amd,4800,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(0.14, double.Parse(gfe[3], CultureInfo.InvariantCulture), 12);
        Assert.Equal(0.14 - 4.302653 * 0.01 / Math.Sqrt(3), double.Parse(gfe[4], CultureInfo.InvariantCulture), 6);

        var paired = File.ReadAllLines(Path.Combine(directory, SearchReportWriter.PairedFile));
        Assert.Contains(paired, l => l.StartsWith("mnist,480,GFE-amd,AE,3,", StringComparison.Ordinal));

        var report = File.ReadAllText(Path.Combine(directory, SearchReportWriter.ReportFile));
        Assert.Contains("## Best configurations", report);
        Assert.Contains("| 1 | 0.2100 ± 0.0248 (n=3) | ae | 4800 | 0.001 |", report);
        Assert.Contains("| 480 | 0.3100 ± 0.0248 (n=3) | 0.2400 ± 0.0248 (n=3) | 0.3300 ± 0.0248 (n=3) |", report);
        Assert.Contains("| mnist | 480 | GFE-amd - AE | -0.0700 ± 0.0497 (n=3) |", report);
        Assert.Contains("Training images to reach test loss 0.2300", report);
        Assert.Contains("| AE | 3,029 |", report);
        Assert.Contains("| GFE-amd | 604 |", report);

        Assert.Contains(figures, f => f.EndsWith("mnist.data-efficiency.png", StringComparison.Ordinal));
        Assert.Contains(figures, f => f.EndsWith("search.lr.png", StringComparison.Ordinal));
        foreach (var figure in figures)
        {
            using var picture = SKBitmap.Decode(figure);
            Assert.Equal((ReportFigure.Width, ReportFigure.Height), (picture.Width, picture.Height));
            // Lines, bands and text: many colours, not a blank canvas.
            var colours = new HashSet<SKColor>();
            for (int y = 0; y < picture.Height; y += 4)
                for (int x = 0; x < picture.Width; x += 4)
                    colours.Add(picture.GetPixel(x, y));
            Assert.True(colours.Count > 20, $"{figure}: only {colours.Count} colours");
        }
    }

    [Fact]
    public void A_choice_of_lists_gets_a_column_per_value()
    {
        // hidden sampled from two lists, lr from two values: both are drawn, hidden with its values as the ticks.
        var rows = new List<RunRow>();
        foreach (var hidden in new[] { "[128, 256]", "[300, 600]" })
            foreach (var lr in new[] { 1e-3, 1e-2 })
                foreach (var seed in new[] { 0, 1 })
                {
                    var row = Row("gfe-amd", 480, seed, lr, new() { ["GFE-amd"] = (hidden.StartsWith("[1", StringComparison.Ordinal) ? 0.2 : 0.3) + lr });
                    rows.Add(row with { Key = $"{row.Key}.{hidden}", Settings = [.. row.Settings, KeyValuePair.Create("hidden", hidden)] });
                }
        var analysis = SearchAnalysis.Build(rows);
        Assert.Contains("hidden", analysis.SampledSettings);

        var figures = SearchReportWriter.Write(directory, "test", analysis);

        var figure = Assert.Single(figures, f => f.EndsWith("search.hidden.png", StringComparison.Ordinal));
        using var picture = SKBitmap.Decode(figure);
        // Two columns in the tick order: [128, 256] (lower losses, low in the plot) on the left, [300, 600] (higher,
        // up) on the right. Marker pixels are the palette's first colour; the legend sits bottom right.
        bool Marker(int x, int y) => picture.GetPixel(x, y) is var c && c.Blue > 150 && c.Red < 80;
        bool Any(int x0, int x1, int y0, int y1) =>
            Enumerable.Range(x0, x1 - x0).Any(x => Enumerable.Range(y0, y1 - y0).Any(y => Marker(x, y)));
        int w = picture.Width, h = picture.Height;
        Assert.True(Any(0, w * 45 / 100, h / 2, h), "no point in the left column");
        Assert.True(Any(w * 55 / 100, w, 0, h / 2), "no point in the right column");
    }
}
