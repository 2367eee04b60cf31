using System.Globalization;

namespace Gfe.Client.Results;

/// <summary>
/// A result CSV read back for checking: its header and rows, with messages that name the file, the row (the header is
/// row 1) and the column when a row does not fit.
/// </summary>
public sealed class ResultsCsvFile
{
    readonly Dictionary<string, int> columns;

    ResultsCsvFile(string path, string[] header, List<string[]> rows)
    {
        Path = path;
        Header = header;
        Rows = rows;
        columns = [];
        for (int i = 0; i < header.Length; i++)
            if (!columns.TryAdd(header[i], i))
                throw new ResultsFileException($"{path}: row 1: the column '{header[i]}' appears twice");
    }

    public string Path { get; }

    public IReadOnlyList<string> Header { get; }

    /// <summary>The data rows, without the header.</summary>
    public IReadOnlyList<string[]> Rows { get; }

    /// <summary>Reads the file; every row must have as many fields as the header.</summary>
    public static ResultsCsvFile Read(string path, params string[] requiredColumns)
    {
        if (!File.Exists(path)) throw new ResultsFileException($"{path}: not found", missing: true);
        List<string[]> all;
        try
        {
            all = CsvReader.ReadFile(path);
        }
        catch (FormatException e)
        {
            throw new ResultsFileException($"{path}: not a CSV file: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ResultsFileException($"{path}: cannot be read: {e.Message}", missing: true);
        }
        // A trailing empty line is a text editor's habit, not a row.
        while (all.Count > 0 && all[^1] is [""]) all.RemoveAt(all.Count - 1);
        if (all.Count == 0) throw new ResultsFileException($"{path}: the file is empty; expected a header row");

        var file = new ResultsCsvFile(path, all[0], all.GetRange(1, all.Count - 1));
        var missing = requiredColumns.Where(c => !file.columns.ContainsKey(c)).ToList();
        if (missing.Count > 0)
            throw new ResultsFileException($"{path}: row 1: missing column(s) {string.Join(", ", missing)}; is this a gfe {System.IO.Path.GetFileName(path)}?");
        for (int i = 0; i < file.Rows.Count; i++)
            if (file.Rows[i].Length != file.Header.Count)
                throw new ResultsFileException($"{path}: row {i + 2}: {file.Rows[i].Length} fields, but the header has {file.Header.Count}");
        return file;
    }

    public int Column(string name) => columns[name];

    public bool HasColumn(string name) => columns.ContainsKey(name);

    /// <summary>The number in a cell, or null when the cell is empty.</summary>
    public double? Number(int row, int column)
    {
        var text = Rows[row][column];
        if (text.Length == 0) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ResultsFileException($"{Path}: row {row + 2}, column '{Header[column]}': '{text}' is not a number");
    }
}
