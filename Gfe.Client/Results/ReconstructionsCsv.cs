using System.Globalization;
using System.Text;
using Gfe.Abstractions;

namespace Gfe.Client.Results;

/// <summary>
/// reconstructions.csv: the pixels behind Figure 3, so that <c>gfe report</c> can redraw the reconstruction grids
/// without the cluster. One row per image: <c>key,row,image,p0..p783</c>, where <c>row</c> is "original" or the
/// evaluation that reconstructed it (AE, GFE-amd, Mixed), <c>image</c> counts the run's first test images from 0, and
/// the pixels are intensities in [0,1], row-major, with 4 decimals (finer than the PNG's 1/255 steps).
/// </summary>
public static class ReconstructionsCsv
{
    public const string OriginalRow = "original";
    const int Pixels = 28 * 28;

    static readonly string[] Header = ["key", "row", "image", .. Enumerable.Range(0, Pixels).Select(p => $"p{p}")];

    public static void Write(string path, IEnumerable<(string Key, ReconstructionSample Sample)> runs)
    {
        using var file = new StreamWriter(path, false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        var csv = new CsvWriter(file);
        csv.WriteRow(Header);
        foreach (var (key, sample) in runs)
            foreach (var (row, pixels) in ReconstructionPicture.RowNames(sample)
                         .Select(name => (name, name == OriginalRow ? sample.Originals : sample.Reconstructed[name])))
                for (int image = 0; image < pixels.Length / Pixels; image++)
                    csv.WriteRow([
                        key, row, image.ToString(CultureInfo.InvariantCulture),
                        .. pixels.AsSpan(image * Pixels, Pixels).ToArray().Select(v => v.ToString("0.####", CultureInfo.InvariantCulture)),
                    ]);
    }

    /// <summary>Reads the file back, one sample per run key in the order the keys first appear.</summary>
    /// <exception cref="ResultsFileException">the file is malformed: the message names the row and what is wrong.</exception>
    public static IReadOnlyList<(string Key, ReconstructionSample Sample)> Read(string path)
    {
        var file = ResultsCsvFile.Read(path, "key", "row", "image", "p0", $"p{Pixels - 1}");
        if (file.Header.Count != Header.Length)
            throw new ResultsFileException($"{path}: row 1: {file.Header.Count} columns, expected key, row, image and {Pixels} pixels p0..p{Pixels - 1}");
        int keyColumn = file.Column("key"), rowColumn = file.Column("row"), imageColumn = file.Column("image"), first = file.Column("p0");

        // key -> row name -> image index -> pixels
        var runs = new Dictionary<string, Dictionary<string, SortedDictionary<int, float[]>>>();
        var order = new List<string>();
        for (int i = 0; i < file.Rows.Count; i++)
        {
            var fields = file.Rows[i];
            string where = $"{path}: row {i + 2}";
            if (file.Number(i, imageColumn) is not { } index || index < 0 || index != Math.Floor(index))
                throw new ResultsFileException($"{where}: image must be a whole number from 0, not '{fields[imageColumn]}'");
            var pixels = new float[Pixels];
            for (int p = 0; p < Pixels; p++)
            {
                var value = file.Number(i, first + p);
                if (value is not { } v || !(v >= 0 && v <= 1))
                    throw new ResultsFileException($"{where}, column 'p{p}': a pixel must be a number in [0,1], not '{fields[first + p]}'");
                pixels[p] = (float)v;
            }
            string key = fields[keyColumn], row = fields[rowColumn];
            if (!runs.TryGetValue(key, out var rows))
            {
                runs[key] = rows = [];
                order.Add(key);
            }
            if (!rows.TryGetValue(row, out var images)) rows[row] = images = [];
            if (!images.TryAdd((int)index, pixels))
                throw new ResultsFileException($"{where}: image {index} of row '{row}' of run {key} appears twice");
        }

        return order.Select(key => (key, Sample(path, key, runs[key]))).ToList();
    }

    /// <summary>A run's rows as one sample: every row must hold the same images 0..K-1, originals included.</summary>
    static ReconstructionSample Sample(string path, string key, Dictionary<string, SortedDictionary<int, float[]>> rows)
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
            rows.Where(r => r.Key != OriginalRow).ToDictionary(r => r.Key, r => Concat(r.Value)));
    }
}
