namespace Gfe.Engine.Data;

/// <summary>
/// One place a dataset can come from. <see cref="DataFetcher"/> tries its sources in order; a source that cannot
/// deliver throws a <see cref="DataException"/> (or any other exception) with a one-line reason and the next is tried.
/// </summary>
public interface IDataSource
{
    /// <summary>A short name for progress and for the list of what was tried.</summary>
    string Name { get; }

    /// <summary>Writes the four IDX files under their standard names (<see cref="DatasetLayout"/>) into the empty
    /// <paramref name="targetDirectory"/>.</summary>
    FetchedDataset Fetch(string targetDirectory, IProgress<FetchProgress>? progress, CancellationToken cancel);
}
