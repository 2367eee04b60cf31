namespace Gfe.Client.Sweeps;

/// <summary>
/// A validated sweep file: its name (the results folder), its text as written (kept in the manifest), the runs it
/// expands to in a fixed order, and a note for each duplicate run that was dropped.
/// </summary>
public sealed record SweepFile(
    string Name,
    string Description,
    string Path,
    string Text,
    IReadOnlyList<SweepRun> Runs,
    IReadOnlyList<string> DuplicateNotes)
{
    /// <summary>How the configurations were picked, the replicate seeds, the budget and the early-stopping rule.</summary>
    public SweepSearch Search { get; init; } = SweepSearch.Grid;

    /// <summary>The datasets the file's <c>datasets:</c> section declares (paths resolved against the file's folder).</summary>
    public IReadOnlyList<Gfe.Engine.Data.Files.DatasetDeclaration> Datasets { get; init; } = [];
}
