using System.Globalization;
using nietras.SeparatedValues;

namespace Gfe.Engine.Data.Files;

/// <summary>
/// CSV and TSV tables, one sample per row and one feature per column, read with Sep. A header row is optional: a
/// first row with any cell that is not a number is taken as the header. The separator is a tab for .tsv and .tab
/// files, otherwise inferred from the first row (comma, semicolon, tab, ...). Numbers use the invariant culture
/// (a dot as decimal point). Every row must have as many cells as the first; a ragged row or a non-numeric cell is
/// reported with its line and column (both from 1).
/// </summary>
public static class CsvTable
{
    public static SampleArray Read(string path)
    {
        using var stream = DataFileIo.OpenRead(path);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        var options = new SepReaderOptions(ext is ".tsv" or ".tab" ? Sep.New('\t') : null)
        {
            HasHeader = false,
            DisableColCountCheck = true,
            CultureInfo = CultureInfo.InvariantCulture,
            Trim = SepTrim.All,
        };
        using var reader = options.From(stream);
        var values = new List<float>();
        int columns = -1;
        int rows = 0;
        bool first = true;
        foreach (var row in reader)
        {
            int line = row.LineNumberFrom;
            if (row.ColCount == 1 && row[0].Span.Length == 0) continue; // blank line
            if (first)
            {
                first = false;
                columns = row.ColCount;
                if (IsHeader(row)) continue;
            }
            if (row.ColCount != columns)
                throw new DataInputException(
                    $"{path}: line {line} has {row.ColCount} columns, the first row has {columns}; every sample needs the same number of values.");
            for (int c = 0; c < row.ColCount; c++)
            {
                var cell = row[c].Span;
                if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new DataInputException(
                        $"{path}: line {line}, column {c + 1}: '{cell.ToString()}' is not a number.");
                values.Add(v);
            }
            rows++;
        }
        return SampleArray.Create([.. values], [rows, Math.Max(columns, 0)], "text", path);
    }

    /// <summary>Writes a table with an optional header (tests and <c>gfe data synth</c>).</summary>
    public static void Write(string path, float[] values, int columns, IReadOnlyList<string>? header = null, char separator = ',')
    {
        using var writer = new StreamWriter(path);
        if (header is not null) writer.WriteLine(string.Join(separator, header));
        for (int r = 0; r < values.Length / columns; r++)
            writer.WriteLine(string.Join(separator,
                Enumerable.Range(0, columns).Select(c => values[r * columns + c].ToString("R", CultureInfo.InvariantCulture))));
    }

    static bool IsHeader(SepReader.Row row)
    {
        for (int c = 0; c < row.ColCount; c++)
            if (!float.TryParse(row[c].Span, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) return true;
        return false;
    }
}
