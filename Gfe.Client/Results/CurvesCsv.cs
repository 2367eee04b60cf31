namespace Gfe.Client.Results;

/// <summary>Reads curves.csv back into <see cref="CurvePoint"/>s.</summary>
public static class CurvesCsv
{
    const string TestLossPrefix = "testLoss.";

    public static IReadOnlyList<CurvePoint> Read(string path)
    {
        var file = ResultsCsvFile.Read(path, "key", "imagesSeen", "seconds", "trainLoss");
        int key = file.Column("key"), images = file.Column("imagesSeen"), seconds = file.Column("seconds"), train = file.Column("trainLoss");
        var evaluations = file.Header
            .Select((name, column) => (name, column))
            .Where(c => c.name.StartsWith(TestLossPrefix, StringComparison.Ordinal))
            .ToList();

        var points = new List<CurvePoint>();
        for (int i = 0; i < file.Rows.Count; i++)
        {
            var testLoss = new Dictionary<string, double>();
            foreach (var (name, column) in evaluations)
                if (file.Number(i, column) is { } loss)
                    testLoss[name[TestLossPrefix.Length..]] = loss;
            points.Add(new CurvePoint(
                file.Rows[i][key],
                Required(file, i, images),
                Required(file, i, seconds),
                file.Number(i, train),
                testLoss));
        }
        return points;
    }

    static double Required(ResultsCsvFile file, int row, int column) =>
        file.Number(row, column) ?? throw new ResultsFileException($"{file.Path}: row {row + 2}, column '{file.Header[column]}': empty");
}
