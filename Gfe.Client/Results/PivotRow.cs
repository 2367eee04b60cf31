namespace Gfe.Client.Results;

/// <summary>A row of the result table: the settings that name it (dataset, trainSize and any other setting that varies
/// in the sweep besides method and seed) and one cell per evaluation that has results.</summary>
public sealed record PivotRow(
    IReadOnlyList<KeyValuePair<string, string>> Settings,
    IReadOnlyDictionary<string, PivotCell> Cells);
