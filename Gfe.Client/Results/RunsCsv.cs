namespace Gfe.Client.Results;

/// <summary>Reads runs.csv back into <see cref="RunRow"/>s: the settings are the columns between <c>key</c> and
/// <c>state</c>, the test losses the <c>testLoss.&lt;evaluation&gt;</c> columns.</summary>
public static class RunsCsv
{
    const string TestLossPrefix = "testLoss.";

    public static IReadOnlyList<RunRow> Read(string path)
    {
        var file = ResultsCsvFile.Read(path, "key", "method", "dataset", "trainSize", "seed", "state");
        int key = file.Column("key"), state = file.Column("state");
        if (key > state) throw new ResultsFileException($"{path}: row 1: the settings must lie between 'key' and 'state'");
        var evaluations = file.Header
            .Select((name, column) => (name, column))
            .Where(c => c.name.StartsWith(TestLossPrefix, StringComparison.Ordinal))
            .ToList();
        // Absent from runs.csv of an older gfe.
        int imagesSeen = file.Header.ToList().IndexOf("imagesSeen");

        // A runs.csv from before the warnings column reads as a file without warnings.
        int? warnings = file.HasColumn(ResultsWriter.WarningsColumn) ? file.Column(ResultsWriter.WarningsColumn) : null;
        var rows = new List<RunRow>();
        for (int i = 0; i < file.Rows.Count; i++)
        {
            var fields = file.Rows[i];
            var settings = Enumerable.Range(key + 1, state - key - 1)
                .Select(c => KeyValuePair.Create(file.Header[c], fields[c]))
                .ToList();
            var testLoss = new Dictionary<string, double>();
            foreach (var (name, column) in evaluations)
                if (file.Number(i, column) is { } loss)
                    testLoss[name[TestLossPrefix.Length..]] = loss;
            long? images = imagesSeen >= 0 && file.Number(i, imagesSeen) is { } seen ? (long)seen : null;
            rows.Add(new RunRow(fields[key], settings, fields[state], testLoss, warnings is int w ? fields[w] : "", images));
        }
        return rows;
    }
}
