namespace Gfe.Engine.Data;

/// <summary>
/// The datasets of one data directory: loads them (cached, thread-safe, shared by every run of a process) and
/// fetches the missing ones.
/// </summary>
public sealed class DatasetStore(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>Loads a dataset that is present, split as engine-spec §5; throws <see cref="DataException"/> if it
    /// is missing or corrupt.</summary>
    public DatasetSplits Load(string name) => throw new NotImplementedException("data helper");

    /// <summary>Makes sure the dataset is present, fetching it if needed; returns its one-line provenance.</summary>
    public string Ensure(string name, IProgress<FetchProgress>? progress = null, CancellationToken cancel = default) =>
        throw new NotImplementedException("data helper");
}
