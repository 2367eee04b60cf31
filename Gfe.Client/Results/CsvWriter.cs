using System.Globalization;

namespace Gfe.Client.Results;

/// <summary>
/// Writes RFC 4180 CSV: comma-separated fields, CRLF line ends, and a field quoted (with its quotes doubled) when it
/// holds a comma, a quote or a line break. Numbers are written in the invariant culture so that files read the same
/// everywhere.
/// </summary>
public sealed class CsvWriter(TextWriter writer)
{
    public void WriteRow(IEnumerable<string> fields)
    {
        writer.Write(string.Join(",", fields.Select(Escape)));
        writer.Write("\r\n");
    }

    public static string Escape(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";

    /// <summary>Round-trip text of a number ("R"), empty for a missing value.</summary>
    public static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    public static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";
}
