using Gfe.Client.Commands;
using Gfe.Client.Results;
using Gfe.Client.Sweeps;
using Gfe.Engine.Runs;
using Gfe.Engine.Search;
using Xunit;

namespace Gfe.Tests.EndToEnd;

/// <summary>
/// `gfe sweep run` on a sweep file with earlyStop, on a local silo with simulated runs: the sweep grain stops the
/// runs the rule stops, runs.csv and report.md show them as stopped, and the sweep exits 0.
/// </summary>
public sealed class EarlyStopSweepTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("gfe-earlystop-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    // Two slots and two replicates: one trial trains at a time, so the order of decisions (and so they) are fixed.
    const string Sweep = """
        name: asha
        search: {method: random, trials: 6, seed: 3}
        replicates: [0, 1]
        grid:
          method: [simulate]
          lr: {loguniform: [1e-4, 1e-1]}
        earlyStop: {rule: asha, metric: simulate, rungs: 25, reduction: 2}
        settings:
          trainSize: 100
          evalEvery: 25
          simulateSeconds: 0.1
        """;

    [Fact]
    public async Task An_early_stopped_sweep_stops_runs_at_their_rungs_and_reports_what_it_saved()
    {
        var path = Path.Combine(root, "asha.yaml");
        File.WriteAllText(path, Sweep);
        var output = new StringWriter();
        var error = new StringWriter();

        int code = await new GfeCommandLine(Terminal.Plain(output, error))
            .InvokeAsync(["sweep", "run", path, "--results", Path.Combine(root, "results"), "--slots", "2"], CancellationToken.None);

        Assert.True(code == ExitCodes.Success, $"exit {code}\n{output}\n{error}");
        var rows = CsvReader.ReadFile(Path.Combine(root, "results", "asha", ResultsWriter.RunsFile));
        var header = rows[0];
        var runs = rows.Skip(1).Select(r => header.Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
        Assert.Equal(12, runs.Count);
        // The rule on the same (known) curves, one trial at a time: which rung each trial reaches.
        var sweep = SweepFileParser.Parse(Sweep, "asha.yaml");
        var expected = ReplayedImages(sweep);
        foreach (var run in runs)
        {
            long images = expected[run["lr"]];
            Assert.Equal(images.ToString(), run["imagesSeen"]);
            Assert.Equal(images == 100 ? "completed" : "stopped", run["state"]);
        }
        Assert.Contains(runs, r => r["state"] == "stopped");
        long spent = expected.Values.Sum() * 2;
        Assert.Contains($"{spent:N0} training images spent of 1,200", output.ToString());
        var report = File.ReadAllText(Path.Combine(root, "results", "asha", SearchReportWriter.ReportFile));
        Assert.Contains("## Early stopping", report);
        Assert.Contains($"| {spent} | 1200 |", report);
        AssertTheEarlyStoppingFigure(Path.Combine(root, "results", "asha"), sweep, expected, report);
    }

    /// <summary>plots/search.early-stopping.png: what it shows (each trial's replicate-mean metric up to where it
    /// ended, stopped trials apart, the rule's rungs), read back from the result files as the report reads them, and
    /// the picture itself (its size, its three colours, on the HTML page).</summary>
    static void AssertTheEarlyStoppingFigure(string results, SweepFile sweep, Dictionary<string, long> expected, string report)
    {
        var rule = EarlyStopFigure.RuleOf(results);
        Assert.Equal(new EarlyStopFigure.Rule(EarlyStopRule.Asha, "simulate", 25, 2), rule);
        var chart = EarlyStopFigure.Build(RunsCsv.Read(Path.Combine(results, ResultsWriter.RunsFile)),
            CurvesCsv.Read(Path.Combine(results, ResultsWriter.CurvesFile)), rule);
        Assert.NotNull(chart);
        Assert.Equal("simulate", chart.Metric);
        Assert.Equal([25L, 50L], chart.Rungs);
        Assert.Equal(6, chart.Trials.Count);
        foreach (var trial in sweep.Runs.GroupBy(r => RunParameters.ToList(r.Config).First(kv => kv.Key == "lr").Value))
        {
            var shown = Assert.Single(chart.Trials, t => t.Label.Contains($"lr={trial.Key},", StringComparison.Ordinal) || t.Label.EndsWith($"lr={trial.Key}", StringComparison.Ordinal));
            long end = expected[trial.Key];
            Assert.Equal(end < 100, shown.StoppedEarly);
            // The curve runs to where the trial ended, every evalEvery (25) images, at the mean of the replicates' losses.
            Assert.Equal(Enumerable.Range(0, (int)(end / 25) + 1).Select(i => i * 25.0), shown.Curve.Select(p => p.Images));
            Assert.Equal(trial.Average(r => SimulatedObjective.LossAt(r.Config, end)), shown.Curve[^1].Metric, 9);
        }

        var file = Path.Combine(results, CurveFigures.Folder, EarlyStopFigure.File);
        using var picture = SkiaSharp.SKBitmap.Decode(file);
        Assert.Equal((ReportFigure.Width, ReportFigure.Height), (picture.Width, picture.Height));
        int Pixels(ScottPlot.Color colour)
        {
            int n = 0;
            for (int y = 0; y < picture.Height; y++)
                for (int x = 0; x < picture.Width; x++)
                    if (picture.GetPixel(x, y) is var p && Math.Abs(p.Red - colour.R) + Math.Abs(p.Green - colour.G) + Math.Abs(p.Blue - colour.B) < 24) n++;
            return n;
        }
        Assert.True(Pixels(EarlyStopFigure.Stopped) > 200, "no stopped trials drawn");
        Assert.True(Pixels(EarlyStopFigure.Continued) > 200, "no trial that went on drawn");
        Assert.True(Pixels(EarlyStopFigure.Rung) > 100, "no rung lines drawn");
        Assert.Contains($"Figure: plots/{EarlyStopFigure.File}", report);
        Assert.Contains($"alt=\"plots/{EarlyStopFigure.File}\"", File.ReadAllText(Path.Combine(results, "report.html")));
    }

    [Fact]
    public async Task A_budget_of_training_images_stops_the_search_and_records_the_trials_never_started()
    {
        // The search above spends more than 400 images in all (its six first rungs take 300); 400 runs out in the middle.
        var path = Path.Combine(root, "asha.yaml");
        File.WriteAllText(path, Sweep.Replace("name: asha", "name: asha-budget\nbudget: {maxTrainImages: 400}"));
        var output = new StringWriter();
        var error = new StringWriter();

        int code = await new GfeCommandLine(Terminal.Plain(output, error))
            .InvokeAsync(["sweep", "run", path, "--results", Path.Combine(root, "results"), "--slots", "2"], CancellationToken.None);

        Assert.True(code == ExitCodes.Success, $"exit {code}\n{output}\n{error}");
        Assert.DoesNotContain("budget is not applied", output.ToString());
        var rows = CsvReader.ReadFile(Path.Combine(root, "results", "asha-budget", ResultsWriter.RunsFile));
        var runs = rows.Skip(1).Select(r => rows[0].Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
        Assert.Equal(12, runs.Count);
        var notStarted = runs.Where(r => r["state"] == "notstarted").ToList();
        Assert.NotEmpty(notStarted);
        Assert.All(notStarted, r => Assert.StartsWith("not started: budget.maxTrainImages (400) reached with ", r["error"]));
        // Replicates stay together, and what trained stays within the budget: images seen, promotions included.
        Assert.All(runs.GroupBy(r => r["lr"]), g => Assert.Single(g.Select(r => r["state"]).Distinct()));
        long spent = runs.Where(r => r["state"] != "notstarted").Sum(r => long.Parse(r["imagesSeen"]));
        Assert.InRange(spent, 1, 400);
        Assert.True(spent > 400 - 100, $"only {spent} of 400 images spent");
    }

    /// <summary>Training images each configuration (by its lr) ends at under ASHA, replayed as the sweep grain
    /// runs it with one trial at a time.</summary>
    static Dictionary<string, long> ReplayedImages(SweepFile sweep) => Replayed(sweep).Images;

    /// <summary>The same, with the number of decisions the grain logs (each trial recorded at a rung, each promotion),
    /// for a sweep of simulated runs with ASHA rungs of 25 images and reduction 2.</summary>
    internal static (Dictionary<string, long> Images, int Decisions) Replayed(SweepFile sweep)
    {
        int decisions = 0;
        var trials = sweep.Runs.GroupBy(r => RunParameters.ToList(r.Config).First(kv => kv.Key == "lr").Value).ToList();
        var rungs = EarlyStopper.RungImages(EarlyStopRule.Asha, 25, 2, 100);
        var stopper = new EarlyStopper(EarlyStopRule.Asha, 2);
        var reached = new Dictionary<string, long>();
        int next = 0;
        while (true)
        {
            (string Lr, int Rung) job;
            if (stopper.NextPromotion(rungs.Count) is { } promotion)
            {
                job = (promotion.Configuration, promotion.FromRung + 1);
                decisions++;
            }
            else if (next < trials.Count) job = (trials[next++].Key, 1);
            else break;
            var replicates = trials.First(t => t.Key == job.Lr);
            stopper.Record(job.Lr, job.Rung, replicates.Average(r => SimulatedObjective.LossAt(r.Config, rungs[job.Rung - 1])));
            decisions++;
            reached[job.Lr] = rungs[job.Rung - 1];
        }
        return (reached, decisions);
    }
}
