namespace Gfe.Client.Commands;

/// <summary>The options of <c>gfe sweep run</c>, as given on the command line.</summary>
public sealed record SweepRunRequest(
    string SweepFile,
    string ResultsRoot,
    string DataDirectory,
    int? Slots,
    bool Quiet,
    string? Cluster,
    TimeSpan ConnectTimeout,
    bool Restart = false);
