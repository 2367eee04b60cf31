namespace Gfe.Client.Results;

/// <summary>
/// The paper's Figures 1 and 2 for a results folder: per (dataset, trainSize), the train loss and, when the runs
/// evaluated during training (evalEvery), the test loss, each against training images seen and against training
/// seconds. One line per method (and per any other setting that varies besides seed), the mean over its seeds.
/// </summary>
public static class CurveFigures
{
    public const string Folder = "plots";

    /// <summary>Not lines of their own: the group names dataset and trainSize, a line averages over seeds.</summary>
    static readonly string[] NotLineSettings = ["dataset", "trainSize", "seed"];

    /// <summary>Writes the figures of completed runs into <paramref name="folder"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(string folder, IReadOnlyList<RunRow> runs, IReadOnlyList<CurvePoint> curves)
    {
        var completed = runs.Where(r => r.IsCompleted).ToList();
        var lineSettings = completed
            .SelectMany(r => r.Settings.Select(kv => kv.Key))
            .Distinct()
            .Where(name => !NotLineSettings.Contains(name))
            .Where(name => name == "method" || completed.Select(r => r.Setting(name)).Distinct().Count() > 1)
            .ToList();
        var pointsByKey = curves.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.ToList());

        var written = new List<string>();
        foreach (var group in completed.GroupBy(r => (Dataset: r.Setting("dataset"), TrainSize: r.Setting("trainSize"))))
        {
            var lines = group
                .GroupBy(r => string.Join(", ", lineSettings.Select(name => name == "method" ? r.Setting(name) : $"{name}={r.Setting(name)}")))
                .Select(line => (Label: line.Key, Curves: line.Select(r => pointsByKey.GetValueOrDefault(r.Key, [])).ToList()))
                .ToList();
            string name = $"{group.Key.Dataset}.n{group.Key.TrainSize}";
            string title = $"{group.Key.Dataset}, trainSize {group.Key.TrainSize}";

            var train = lines
                .Select(line => (line.Label, Mean: MeanOverSeeds(line.Curves, p => p.TrainLoss)))
                .Where(line => line.Mean.Count > 0)
                .ToList();
            if (train.Count > 0)
            {
                written.Add(Chart(folder, $"{name}.train-loss-vs-images.png", $"{title}: train loss", "training images seen", "train loss (per image)",
                    train.Select(l => new ChartSeries(l.Label, l.Mean.Select(p => (p.Images, p.Loss)).ToList()))));
                written.Add(Chart(folder, $"{name}.train-loss-vs-seconds.png", $"{title}: train loss", "training seconds", "train loss (per image)",
                    train.Select(l => new ChartSeries(l.Label, l.Mean.Select(p => (p.Seconds, p.Loss)).ToList()))));
            }

            var evaluations = ResultPivot.OrderEvaluations(lines.SelectMany(l => l.Curves.SelectMany(c => c.SelectMany(p => p.TestLoss.Keys))));
            var test = lines
                .SelectMany(line => evaluations.Select(evaluation =>
                    (Label: $"{evaluation} ({line.Label})",
                     Mean: MeanOverSeeds(line.Curves, p => p.TestLoss.TryGetValue(evaluation, out var loss) ? loss : null))))
                .Where(line => line.Mean.Count > 0)
                .ToList();
            if (test.Count > 0)
            {
                written.Add(Chart(folder, $"{name}.test-loss-vs-images.png", $"{title}: evaluation during training", "training images seen", "test loss (per image)",
                    test.Select(l => new ChartSeries(l.Label, l.Mean.Select(p => (p.Images, p.Loss)).ToList()))));
                written.Add(Chart(folder, $"{name}.test-loss-vs-seconds.png", $"{title}: evaluation during training", "training seconds", "test loss (per image)",
                    test.Select(l => new ChartSeries(l.Label, l.Mean.Select(p => (p.Seconds, p.Loss)).ToList()))));
            }
        }
        return written;
    }

    /// <summary>
    /// The mean curve over the seeds of a line: at each count of images seen that every seed recorded, the mean loss
    /// and the mean seconds. Counting only shared points keeps a seed that stopped early from bending the mean.
    /// </summary>
    public static IReadOnlyList<(double Images, double Seconds, double Loss)> MeanOverSeeds(
        IReadOnlyList<IReadOnlyList<CurvePoint>> seeds, Func<CurvePoint, double?> loss)
    {
        var perSeed = seeds
            .Select(points => points
                .Where(p => loss(p) is not null)
                .GroupBy(p => p.ImagesSeen)
                .ToDictionary(g => g.Key, g => (Seconds: g.Last().Seconds, Loss: loss(g.Last())!.Value)))
            .Where(points => points.Count > 0)
            .ToList();
        if (perSeed.Count == 0) return [];
        return perSeed[0].Keys
            .Where(images => perSeed.All(points => points.ContainsKey(images)))
            .Order()
            .Select(images => (images, perSeed.Average(p => p[images].Seconds), perSeed.Average(p => p[images].Loss)))
            .ToList();
    }

    static string Chart(string folder, string file, string title, string xLabel, string yLabel, IEnumerable<ChartSeries> series)
    {
        var path = Path.Combine(folder, file);
        LineChart.Write(path, title, xLabel, yLabel, series.ToList());
        return path;
    }
}
