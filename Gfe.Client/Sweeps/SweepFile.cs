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
    /// <summary>The datasets the file's <c>datasets:</c> section declares (paths resolved against the file's folder).</summary>
    public IReadOnlyList<Gfe.Engine.Data.Files.DatasetDeclaration> Datasets { get; init; } = [];
}
