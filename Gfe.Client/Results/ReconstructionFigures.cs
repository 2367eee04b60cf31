using System.Globalization;
using Gfe.Abstractions;

namespace Gfe.Client.Results;

/// <summary>
/// The reconstruction pictures of a results folder, drawn from reconstructions.csv: one PNG per run
/// (&lt;run key&gt;.png) and, per training-set size, the paper's Figure 3 (figure3.n&lt;trainSize&gt;.png, figure3.all.png for the whole split): for each
/// dataset its first test images, then the reconstructions of every method that made some (one seed: the lowest).
/// </summary>
public static class ReconstructionFigures
{
    /// <summary>Writes the pictures into <paramref name="folder"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(string folder, IReadOnlyList<RunRow> runs, IReadOnlyList<(string Key, ReconstructionSample Sample)> samples)
    {
        var written = new List<string>();
        // 1-D samples (spectra, curves) are drawn as curves; samples of any other shape than 28x28 stay out of the
        // Figure 3 grids.
        var resultsDirectory = Path.GetDirectoryName(Path.GetFullPath(folder))!;
        var curves = new HashSet<string>();   // runs kept out of Figure 3
        foreach (var (key, sample) in samples)
        {
            var path = Path.Combine(folder, key + ".png");
            if (sample.Shape.Length == 1)
            {
                // In the data's own units when the run's saved model says how they were normalised.
                var info = ReconstructionCurves.ModelInfo(resultsDirectory, key);
                ReconstructionCurves.Write(path, sample, sample.Features, info?.Offset ?? [], info?.Scale ?? []);
            }
            else ReconstructionPicture.Write(path, sample);
            // Figure 3 is the paper's grid of 28x28 images; samples of other shapes have their own pictures only.
            if (!sample.Shape.SequenceEqual([28, 28])) curves.Add(key);
            written.Add(path);
        }

        var sampleByKey = samples.ToDictionary(s => s.Key, s => s.Sample);
        var shown = runs.Where(r => r.IsCompleted && sampleByKey.ContainsKey(r.Key) && !curves.Contains(r.Key)).ToList();
        foreach (var size in shown.GroupBy(r => r.Setting("trainSize")))
        {
            bool epochsVary = size.Select(r => r.Setting("epochs")).Distinct().Count() > 1;
            var rows = new List<(string Label, float[] Pixels)>();
            foreach (var dataset in size.GroupBy(r => r.Setting("dataset")))
            {
                var lowestSeeds = dataset
                    .GroupBy(r => (Method: r.Setting("method"), Epochs: r.Setting("epochs")))
                    .Select(g => g.MinBy(r => Seed(r))!)
                    .ToList();
                rows.Add(($"{dataset.Key}: {ReconstructionsCsv.OriginalRow}", sampleByKey[lowestSeeds[0].Key].Originals));
                var reconstructions = lowestSeeds
                    .SelectMany(run => sampleByKey[run.Key].Reconstructed.Select(r =>
                        (Evaluation: r.Key, Label: epochsVary ? $"{r.Key} ({run.Setting("epochs")} ep.)" : r.Key, Pixels: r.Value)))
                    .ToList();
                foreach (var evaluation in ResultPivot.OrderEvaluations(reconstructions.Select(r => r.Evaluation)))
                    rows.AddRange(reconstructions.Where(r => r.Evaluation == evaluation).Select(r => (r.Label, r.Pixels)));
            }
            // trainSize 0 is the whole training split: complete training, Figure 3 (b).
            var path = Path.Combine(folder, size.Key == "0" ? "figure3.all.png" : $"figure3.n{size.Key}.png");
            ReconstructionPicture.WriteLabelled(path, rows);
            written.Add(path);
        }
        return written;
    }

    static long Seed(RunRow run) =>
        long.TryParse(run.Setting("seed"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) ? seed : long.MaxValue;
}
