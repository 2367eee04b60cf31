using System.Globalization;
using System.Text;
using Gfe.Abstractions;

namespace Gfe.Client.Results;

/// <summary>
/// reconstructions.csv: the values behind Figure 3, so that <c>gfe report</c> can redraw the reconstruction pictures
/// without the cluster. One row per sample: <c>key,row,image,shape,p0..</c>, where <c>row</c> is "original" or the
/// evaluation that reconstructed it (AE, GFE-amd, Mixed), <c>image</c> counts the run's first test samples from 0,
/// <c>shape</c> is one sample's shape (e.g. 28x28, or 200 for a spectrum) and the values follow row-major with 4
/// decimals, the columns past a sample's size left empty (runs of several datasets share the file). Files written
/// before samples had shapes have no <c>shape</c> column and hold 28x28 images.
/// </summary>
public static class ReconstructionsCsv
{
    public const string OriginalRow = "original";
    const string ShapeColumn = "shape";

    public static void Write(string path, IEnumerable<(string Key, ReconstructionSample Sample)> runs)
    {
        var all = runs.ToList();
        int width = all.Count == 0 ? 0 : all.Max(r => r.Sample.Features);
        using var file = new StreamWriter(path, false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        var csv = new CsvWriter(file);
        csv.WriteRow(["key", "row", "image", ShapeColumn, .. Enumerable.Range(0, width).Select(p => $"p{p}")]);
        foreach (var (key, sample) in all)
        {
            int features = sample.Features;
            string shape = string.Join('x', sample.Shape);
            foreach (var (row, values) in ReconstructionPicture.RowNames(sample)
                         .Select(name => (name, name == OriginalRow ? sample.Originals : sample.Reconstructed[name])))
                for (int image = 0; image < values.Length / features; image++)
                    csv.WriteRow([
                        key, row, image.ToString(CultureInfo.InvariantCulture), shape,
                        .. values.AsSpan(image * features, features).ToArray().Select(v => v.ToString("0.####", CultureInfo.InvariantCulture)),
                        .. Enumerable.Repeat("", width - features),
                    ]);
        }
    }

    /// <summary>Reads the file back, one sample per run key in the order the keys first appear.</summary>
    /// <exception cref="ResultsFileException">the file is malformed: the message names the row and what is wrong.</exception>
    public static IReadOnlyList<(string Key, ReconstructionSample Sample)> Read(string path)
    {
        var file = ResultsCsvFile.Read(path, "key", "row", "image", "p0");
        int keyColumn = file.Column("key"), rowColumn = file.Column("row"), imageColumn = file.Column("image"), first = file.Column("p0");
        int? shapeColumn = file.Header.Contains(ShapeColumn) ? file.Column(ShapeColumn) : null;
        int width = file.Header.Count - first;

        // key -> (shape, row name -> image index -> values)
        var runs = new Dictionary<string, (int[] Shape, Dictionary<string, SortedDictionary<int, float[]>> Rows)>();
        var order = new List<string>();
        for (int i = 0; i < file.Rows.Count; i++)
        {
            var fields = file.Rows[i];
            string where = $"{path}: row {i + 2}";
            if (file.Number(i, imageColumn) is not { } index || index < 0 || index != Math.Floor(index))
                throw new ResultsFileException($"{where}: image must be a whole number from 0, not '{fields[imageColumn]}'");
            int[] shape = shapeColumn is { } sc ? Shape(fields[sc], where) : [28, 28];
            int features = shape.Aggregate(1, (n, d) => n * d);
            if (features > width)
                throw new ResultsFileException($"{where}: shape {fields[shapeColumn!.Value]} needs {features} values, the file has {width} columns p0..p{width - 1}");
            var values = new float[features];
            for (int p = 0; p < features; p++)
            {
                var value = file.Number(i, first + p);
                if (value is not { } v || !double.IsFinite(v))
                    throw new ResultsFileException($"{where}, column 'p{p}': a value must be a finite number, not '{fields[first + p]}'");
                values[p] = (float)v;
            }
            string key = fields[keyColumn], row = fields[rowColumn];
            if (!runs.TryGetValue(key, out var run))
            {
                runs[key] = run = (shape, []);
                order.Add(key);
            }
            else if (!run.Shape.SequenceEqual(shape))
                throw new ResultsFileException($"{where}: run {key} has samples of shape {string.Join('x', run.Shape)} and {string.Join('x', shape)}");
            if (!run.Rows.TryGetValue(row, out var images)) run.Rows[row] = images = [];
            if (!images.TryAdd((int)index, values))
                throw new ResultsFileException($"{where}: image {index} of row '{row}' of run {key} appears twice");
        }

        return order.Select(key => (key, Sample(path, key, runs[key].Shape, runs[key].Rows))).ToList();
    }

    static int[] Shape(string text, string where)
    {
        var parts = text.Split('x');
        var shape = new int[parts.Length];
        for (int d = 0; d < parts.Length; d++)
            if (!int.TryParse(parts[d], NumberStyles.None, CultureInfo.InvariantCulture, out shape[d]) || shape[d] <= 0)
                throw new ResultsFileException($"{where}, column '{ShapeColumn}': a shape is positive whole numbers joined by x (e.g. 28x28), not '{text}'");
        return shape;
    }

    /// <summary>A run's rows as one sample: every row must hold the same images 0..K-1, originals included.</summary>
    static ReconstructionSample Sample(string path, string key, int[] shape, Dictionary<string, SortedDictionary<int, float[]>> rows)
    {
        if (!rows.TryGetValue(OriginalRow, out var originals))
            throw new ResultsFileException($"{path}: run {key} has no '{OriginalRow}' rows");
        int count = originals.Count;
        foreach (var (name, images) in rows)
            if (images.Count != count || images.Keys.Last() != count - 1)
                throw new ResultsFileException(
                    $"{path}: run {key}: row '{name}' has images {string.Join(", ", images.Keys)}; every row needs images 0 to {count - 1}");
        static float[] Concat(SortedDictionary<int, float[]> images) => images.Values.SelectMany(p => p).ToArray();
        return new ReconstructionSample(
            Concat(originals),
            rows.Where(r => r.Key != OriginalRow).ToDictionary(r => r.Key, r => Concat(r.Value)),
            shape);
    }
}
