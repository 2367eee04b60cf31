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
    IReadOnlyList<string> DuplicateNotes);
