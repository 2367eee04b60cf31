namespace Gfe.Client.Results;

/// <summary>What manifest.json records about a sweep's results: the sweep file as written, when it ran, how it ended,
/// where the data came from, and the software that produced it.</summary>
public sealed record ResultsManifest(
    string Sweep,
    string Description,
    string SweepFile,
    string SweepText,
    DateTime StartedUtc,
    DateTime FinishedUtc,
    bool Interrupted,
    int Runs,
    int Completed,
    int Failed,
    int Unfinished,
    IReadOnlyList<string> DuplicatesRemoved,
    IReadOnlyList<string> DataProvenance,
    IReadOnlyList<string> Devices,
    IReadOnlyList<string> Silos,
    string Machine,
    string OperatingSystem,
    IReadOnlyDictionary<string, string> Versions);
