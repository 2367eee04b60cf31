using System.Globalization;
using System.Text;
using Gfe.Engine.Data.Files;

namespace Gfe.Client.Results;

/// <summary>One run's latent codes against one label column: the correlation of the best linear fit of the label from
/// the codes (the best single latent direction), for the label and for its absolute value.</summary>
public sealed record LatentCorrelation(string Key, string Method, string TrainSize, string Seed, int Label, double R, double RAbs, string LabelName = "")
{
    /// <summary>The label as tables show it: its name when the dataset names its label columns, else its column.</summary>
    public string LabelText => LabelName.Length > 0 ? LabelName : Label.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// For runs that kept their test latents (<c>latents: true</c>) and whose dataset has labels: how well one direction
/// in latent space tracks each label. Per run and label column y, an ordinary least-squares fit y ≈ w·z + b over the
/// test samples gives the direction w; the report is the Pearson correlation of w·z with y (the multiple correlation
/// R), and the same for |y| (for a magnetisation label, |m| is the order parameter). In-sample: with M samples and 20
/// codes, R has an upward bias of about sqrt(20 / M) when there is no relation. Written to <c>latents.csv</c> and
/// <c>latents.md</c> (mean over seeds per method and train size).
/// </summary>
public static class LatentAnalysis
{
    public const string CsvFile = "latents.csv";
    public const string MarkdownFile = "latents.md";

    public static IReadOnlyList<LatentCorrelation> Write(string directory, IReadOnlyList<RunRow> runs)
    {
        var folder = Path.Combine(directory, ModelFolders.LatentsFolder);
        var rows = new List<LatentCorrelation>();
        foreach (var run in runs)
        {
            if (ReadPair(folder, run.Key) is not var (latents, labels)) continue;
            int columns = labels.FeatureCount;
            var names = LabelNames(directory, run.Key, columns);
            for (int j = 0; j < columns; j++)
            {
                var y = Enumerable.Range(0, labels.Count).Select(i => (double)labels.Values[i * columns + j]).ToArray();
                rows.Add(new LatentCorrelation(run.Key, run.Setting("method"), run.Setting("trainSize"), run.Setting("seed"), j,
                    FitCorrelation(latents, y), FitCorrelation(latents, y.Select(Math.Abs).ToArray()), names?[j] ?? ""));
            }
        }
        var csv = Path.Combine(directory, CsvFile);
        var markdown = Path.Combine(directory, MarkdownFile);
        if (rows.Count == 0)
        {
            File.Delete(csv);
            File.Delete(markdown);
            return rows;
        }
        using (var writer = new StreamWriter(csv, false, new UTF8Encoding(false)))
        {
            var csvWriter = new CsvWriter(writer);
            csvWriter.WriteRow(["key", "method", "trainSize", "seed", "label", "r", "rAbs", "labelName"]);
            foreach (var row in rows)
                csvWriter.WriteRow([row.Key, row.Method, row.TrainSize, row.Seed, row.Label.ToString(CultureInfo.InvariantCulture),
                    CsvWriter.Number(row.R), CsvWriter.Number(row.RAbs), row.LabelName]);
        }
        var text = new StringBuilder();
        text.AppendLine("# Latent codes against labels");
        text.AppendLine();
        text.AppendLine("Correlation of the best linear fit from the test latents (one direction in latent space) with each label column and with its absolute value; mean over seeds (n).");
        text.AppendLine();
        text.Append(Table(rows));
        File.WriteAllText(markdown, text.ToString());
        return rows;
    }

    /// <summary>The table of latents.md and of the report's latent section: per method, train size and label column,
    /// r and r with |label|, mean ± sample std over seeds, and n.</summary>
    /// <summary>A run's test latents and their labels from the latents folder (<c>latents: true</c>), or null when
    /// either file is missing or they do not pair up into at least 3 samples, too few to fit.</summary>
    public static (SampleArray Latents, SampleArray Labels)? ReadPair(string folder, string key)
    {
        var latentsPath = Path.Combine(folder, key + ".npy");
        var labelsPath = Path.Combine(folder, key + ".labels.npy");
        if (!File.Exists(latentsPath) || !File.Exists(labelsPath)) return null;
        var latents = NpyFile.Read(latentsPath);
        var labels = NpyFile.Read(labelsPath);
        return labels.Count != latents.Count || latents.Count < 3 ? null : (latents, labels);
    }

    public static string Table(IReadOnlyList<LatentCorrelation> rows)
    {
        var text = new StringBuilder();
        text.AppendLine("| method | trainSize | label | r | r with abs(label) | n |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var group in rows.GroupBy(r => (r.Method, r.TrainSize, r.Label))
                     .OrderBy(g => g.Key.Method, StringComparer.Ordinal).ThenBy(g => int.TryParse(g.Key.TrainSize, out var n) ? n : 0).ThenBy(g => g.Key.Label))
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Key.Method} | {group.Key.TrainSize} | {group.First().LabelText} | {MeanStd(group.Select(r => r.R))} | {MeanStd(group.Select(r => r.RAbs))} | {group.Count()} |"));
        return text.ToString();
    }

    /// <summary>The names of a run's label columns from its saved model's <c>model.json</c> (<c>labelNames</c>, the
    /// dataset declaration's), or null when the model is not in the folder or names none, or not as many.</summary>
    public static IReadOnlyList<string>? LabelNames(string directory, string key, int columns)
    {
        var sidecar = Path.Combine(directory, ModelFolders.FolderName, key, Engine.Artifacts.ModelArtifact.SidecarFile);
        if (!File.Exists(sidecar)) return null;
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(sidecar));
            if (!json.RootElement.TryGetProperty("labelNames", out var names) || names.ValueKind != System.Text.Json.JsonValueKind.Array) return null;
            var list = names.EnumerateArray().Select(n => n.GetString() ?? "").ToList();
            return list.Count == columns ? list : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or IOException)
        {
            // Names only label the figures; a damaged sidecar costs them, not the report.
            return null;
        }
    }

    static string MeanStd(IEnumerable<double> values)
    {
        var list = values.ToList();
        double mean = list.Average();
        if (list.Count < 2) return mean.ToString("F3", CultureInfo.InvariantCulture);
        double std = Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / (list.Count - 1));
        return string.Create(CultureInfo.InvariantCulture, $"{mean:F3} ± {std:F3}");
    }

    /// <summary>The Pearson correlation of the least-squares fit w·z + b with y.</summary>
    public static double FitCorrelation(SampleArray latents, double[] y) => Pearson(Fit(latents, y), y);

    /// <summary>The least-squares fit w·z + b of y from the codes, per sample: each code's value along the best single
    /// latent direction w, in the units of y.</summary>
    public static double[] Fit(SampleArray latents, double[] y)
    {
        int m = latents.Count, d = latents.FeatureCount, p = d + 1;
        // Normal equations (XᵀX) w = Xᵀy with X = [z, 1], solved by Gaussian elimination with partial pivoting; a tiny
        // ridge keeps a collapsed latent dimension from making the system singular.
        var a = new double[p, p + 1];
        for (int i = 0; i < m; i++)
        {
            for (int r = 0; r < p; r++)
            {
                double xr = r < d ? latents.Values[i * d + r] : 1;
                for (int c = 0; c < p; c++) a[r, c] += xr * (c < d ? latents.Values[i * d + c] : 1);
                a[r, p] += xr * y[i];
            }
        }
        double trace = Enumerable.Range(0, p).Sum(i => a[i, i]);
        for (int i = 0; i < p; i++) a[i, i] += 1e-10 * trace / p;
        for (int col = 0; col < p; col++)
        {
            int pivot = Enumerable.Range(col, p - col).MaxBy(r => Math.Abs(a[r, col]));
            for (int c = 0; c <= p; c++) (a[col, c], a[pivot, c]) = (a[pivot, c], a[col, c]);
            for (int r = 0; r < p; r++)
            {
                if (r == col || a[col, col] == 0) continue;
                double f = a[r, col] / a[col, col];
                for (int c = col; c <= p; c++) a[r, c] -= f * a[col, c];
            }
        }
        var w = Enumerable.Range(0, p).Select(i => a[i, i] == 0 ? 0 : a[i, p] / a[i, i]).ToArray();
        return Enumerable.Range(0, m).Select(i => Enumerable.Range(0, d).Sum(k => w[k] * latents.Values[i * d + k]) + w[d]).ToArray();
    }

    public static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa == 0 || sbb == 0 ? 0 : sab / Math.Sqrt(saa * sbb);
    }
}
