using Gfe.Client.Results;
using Xunit;

namespace Gfe.Tests.Client;

public sealed class CsvTests
{
    [Fact]
    public void Fields_WithCommasQuotesAndNewlines_RoundTrip()
    {
        string[][] rows =
        [
            ["key", "error", "plain"],
            ["a,b", "he said \"no\"", "x"],
            ["line1\nline2", "crlf\r\ninside", ""],
            ["\"", ",", " spaced "],
        ];
        var text = new StringWriter();
        var csv = new CsvWriter(text);
        foreach (var row in rows) csv.WriteRow(row);

        var parsed = CsvReader.Parse(text.ToString());

        Assert.Equal(rows.Length, parsed.Count);
        for (int i = 0; i < rows.Length; i++) Assert.Equal(rows[i], parsed[i]);
    }

    [Fact]
    public void Escape_QuotesOnlyWhenNeeded_AndDoublesQuotes()
    {
        Assert.Equal("abc", CsvWriter.Escape("abc"));
        Assert.Equal("\"a,b\"", CsvWriter.Escape("a,b"));
        Assert.Equal("\"say \"\"hi\"\"\"", CsvWriter.Escape("say \"hi\""));
        Assert.Equal("\"a\nb\"", CsvWriter.Escape("a\nb"));
    }

    [Fact]
    public void Numbers_AreInvariantAndRoundTrip()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        try
        {
            Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            Assert.Equal("0.1", CsvWriter.Number(0.1));
            Assert.Equal(1.0 / 3, double.Parse(CsvWriter.Number(1.0 / 3), System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("", CsvWriter.Number((double?)null));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Reader_AcceptsLfLineEnds_AndAFinalLineWithoutNewline()
    {
        var parsed = CsvReader.Parse("a,b\n1,\"2\"\n3,4");
        Assert.Equal([["a", "b"], ["1", "2"], ["3", "4"]], parsed);
    }

    [Fact]
    public void Reader_RejectsAnUnclosedQuote()
    {
        Assert.Throws<FormatException>(() => CsvReader.Parse("a,\"b\n"));
    }
}
