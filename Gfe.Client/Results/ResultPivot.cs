using Gfe.Client.Running;

namespace Gfe.Client.Results;

/// <summary>
/// The paper's Table 1 for a sweep: one row per configuration up to method and seed (dataset, trainSize and any other
/// setting that varies in the sweep), one column per evaluation (AE, GFE-amd, Mixed, then any other), each cell the
/// mean ± sample std of the test loss over the seeds. Only completed runs count.
/// </summary>
public sealed record ResultPivot(
    IReadOnlyList<string> RowSettings,
    IReadOnlyList<string> Evaluations,
    IReadOnlyList<PivotRow> Rows)
{
    /// <summary>The losses (the <c>loss</c> setting) the cells hold, e.g. [bce]; a runs.csv from before the setting
    /// existed holds the paper's bce.</summary>
    public IReadOnlyList<string> Losses { get; init; } = [];

    /// <summary>The paper's column order; other evaluations (e.g. simulate) follow in name order.</summary>
    static readonly string[] PaperColumns = [Engine.Runs.Evaluations.Ae, Engine.Runs.Evaluations.GfeAmd, Engine.Runs.Evaluations.Mixed];

    /// <summary>Method picks the column, seed is what a cell averages over; neither names a row.</summary>
    static readonly string[] NotRowSettings = ["method", "seed"];

    static readonly string[] LeadingRowSettings = ["dataset", "trainSize"];

    /// <summary>The pivot of a sweep that has just run: the same table as from its runs.csv.</summary>
    public static ResultPivot Build(IEnumerable<RunRecord> records) => Build(records.Select(RunRow.From));

    public static ResultPivot Build(IEnumerable<RunRow> runs)
    {
        var completed = runs.Where(r => r.IsCompleted).ToList();

        // The settings in column order; a runs.csv from another gfe version may have other settings than this one.
        var varying = completed
            .SelectMany(r => r.Settings.Select(kv => kv.Key))
            .Distinct()
            .Where(name => !NotRowSettings.Contains(name) && !LeadingRowSettings.Contains(name))
            .Where(name => completed.Select(r => r.Setting(name)).Distinct().Count() > 1);
        List<string> rowSettings = [.. LeadingRowSettings, .. varying];

        var evaluations = OrderEvaluations(completed.SelectMany(r => r.TestLoss.Keys));

        // GroupBy keeps the order in which rows first appear, i.e. the order of the sweep file.
        var rows = completed
            .GroupBy(r => string.Join("\n", rowSettings.Select(r.Setting)))
            .Select(group =>
            {
                var first = group.First();
                var settings = rowSettings.Select(name => KeyValuePair.Create(name, first.Setting(name))).ToList();
                var cells = new Dictionary<string, PivotCell>();
                foreach (var evaluation in evaluations)
                {
                    var contributing = group.Where(r => r.TestLoss.ContainsKey(evaluation)).ToList();
                    var values = contributing.Select(r => r.TestLoss[evaluation]).ToList();
                    if (values.Count > 0)
                        cells[evaluation] = PivotCell.Of(values, contributing.Count(r => r.Warnings.Length > 0));
                }
                return new PivotRow(settings, cells);
            })
            .ToList();

        var losses = completed.Select(r => r.Setting("loss") is { Length: > 0 } loss ? loss : "bce").Distinct().ToList();
        return new ResultPivot(rowSettings, evaluations, rows) { Losses = losses };
    }

    /// <summary>AE, GFE-amd, Mixed first (the paper's order), then any other evaluation by name.</summary>
    public static IReadOnlyList<string> OrderEvaluations(IEnumerable<string> present)
    {
        var names = present.Distinct().ToList();
        return [.. PaperColumns.Where(names.Contains), .. names.Where(e => !PaperColumns.Contains(e)).Order(StringComparer.Ordinal)];
    }
}
