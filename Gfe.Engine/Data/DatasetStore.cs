using System.Collections.Concurrent;
using Gfe.Engine.Data.Files;

namespace Gfe.Engine.Data;

/// <summary>
/// The datasets of one data directory: loads them (cached, thread-safe, shared by every run of a process) and
/// fetches the missing ones.
/// </summary>
/// <remarks>
/// A dataset lives in <c>&lt;directory&gt;/&lt;name&gt;/</c> as the four standard IDX files (raw or .gz) and a
/// <c>manifest.json</c>. Files the user put there are used as they are and never replaced: if they are damaged,
/// <see cref="Ensure"/> says so and stops. Files a fetch wrote (the manifest says so) that no longer match their
/// checksums are deleted and fetched again. The cache is per process and keyed by the dataset folder, so runs that
/// each make their own store still share one copy of the images.
/// </remarks>
public sealed class DatasetStore
{
    private static readonly ConcurrentDictionary<string, Lazy<(DatasetSplits Splits, ImageSet Validation)>> Loaded = new();
    private static readonly ConcurrentDictionary<string, object> FolderLocks = new();

    private readonly Func<string, IReadOnlyList<IDataSource>> sourcesFor;

    public DatasetStore(string directory) : this(directory, DataFetcher.DefaultSources)
    {
    }

    /// <summary>A store whose fetches use <paramref name="sourcesFor"/>(dataset name) instead of the default sources.</summary>
    public DatasetStore(string directory, Func<string, IReadOnlyList<IDataSource>> sourcesFor)
    {
        Directory = Path.GetFullPath(directory);
        this.sourcesFor = sourcesFor;
    }

    public string Directory { get; }

    /// <summary>The folder of one dataset's files: <c>&lt;directory&gt;/&lt;name&gt;</c>, or the folder of the dataset it is
    /// built from (SegMNIST lives in the mnist folder).</summary>
    public string DatasetDirectory(string name) => Path.Combine(Directory, FilesOf(Resolve(name)).Name);

    /// <summary>Loads a dataset that is present, split as docs/method.md §5; throws <see cref="DataException"/> if it
    /// is missing or corrupt.</summary>
    public DatasetSplits Load(string name) =>
        DatasetCatalog.Find(name) is { } info ? LoadCached(info).Splits : LoadDeclared(name);

    /// <summary>The 8 validation images of the training split (docs/method.md §5), which <see cref="Load"/> leaves out.</summary>
    public ImageSet LoadValidation(string name) => LoadCached(Resolve(name)).Validation;

    /// <summary>Makes sure the dataset is present, fetching it if needed; returns its one-line provenance.</summary>
    public string Ensure(string name, IProgress<FetchProgress>? progress = null, CancellationToken cancel = default)
    {
        // A declared dataset is the user's files: nothing to fetch, only to check (checksums, shapes, values).
        if (DatasetCatalog.Find(name) is null && IsDeclared(name)) return LoadDeclared(name).Provenance;
        var info = Resolve(name);
        if (info.BuiltFrom is not null)
            return $"{info.Name} cut from {Ensure(info.BuiltFrom, progress, cancel)}";
        var folder = Path.Combine(Directory, info.Name);
        lock (FolderLocks.GetOrAdd(folder, _ => new object()))
        {
            var manifest = DatasetManifest.Read(folder);
            if (DatasetLayout.AnyPresent(folder))
            {
                try
                {
                    return CheckPresent(info, folder, manifest).Provenance;
                }
                catch (DataException e) when (manifest is { FetchedByGfe: true })
                {
                    progress?.Report(new FetchProgress(info.Name, $"fetched files are damaged, fetching again: {e.Message}", null));
                    DeleteFetched(folder, manifest);
                }
            }
            Loaded.TryRemove(folder, out _);
            try
            {
                System.IO.Directory.CreateDirectory(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DataException($"Cannot create the dataset folder {folder}: {e.Message}", e);
            }
            return new DataFetcher(sourcesFor(info.Name)).Fetch(info.Name, folder, progress, cancel).Provenance;
        }
    }

    private DatasetInfo Resolve(string name) =>
        DatasetCatalog.Find(name) ?? throw new DataException(
            $"Unknown dataset '{name}'; known: {string.Join(", ", [.. DatasetCatalog.All.Select(d => d.Name), .. DeclaredNames()])} " +
            $"(declare your own with 'gfe data add', docs/data.md).");

    /// <summary>The declaration file of a dataset from files: <c>&lt;directory&gt;/datasets/&lt;name&gt;.yaml</c>.</summary>
    public string DeclarationPath(string name) => DatasetDeclaration.PathIn(Directory, name);

    /// <summary>True if <paramref name="name"/> is declared in this data directory.</summary>
    public bool IsDeclared(string name) => File.Exists(DeclarationPath(name));

    /// <summary>The names of the datasets declared in this data directory, sorted.</summary>
    public IReadOnlyList<string> DeclaredNames()
    {
        var folder = Path.Combine(Directory, DatasetDeclaration.FolderName);
        return System.IO.Directory.Exists(folder)
            ? System.IO.Directory.GetFiles(folder, "*.yaml").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];
    }

    /// <summary>Reads the declaration of a dataset from files.</summary>
    public DatasetDeclaration Declaration(string name)
    {
        if (!IsDeclared(name)) Resolve(name); // throws "unknown dataset", listing the known ones
        var declaration = DatasetDeclaration.Load(DeclarationPath(name));
        if (!string.Equals(declaration.Name, name, StringComparison.Ordinal))
            throw new DataInputException($"{DeclarationPath(name)}: declares '{declaration.Name}', but its file name says '{name}'.");
        return declaration;
    }

    // Declared datasets are cached by their declaration's text and the size and time of each file they read, so a
    // changed declaration or file is read (and checked) again rather than served from the cache.
    private DatasetSplits LoadDeclared(string name) =>
        LoadDeclaration(Declaration(name), DeclarationPath(name) + "\n" + File.ReadAllText(DeclarationPath(name)));

    /// <summary>
    /// Loads a dataset from a declaration that came with a run rather than from this data directory: a sweep file's
    /// <c>datasets:</c> section, which the client records (absolute paths, checksums) and ships in each run's spec so
    /// that a silo on another machine needs no copy of it (docs/cluster.md). Its files must be at those paths here
    /// (a shared file system); the checksums refuse files that differ. Cached like a declaration in the directory.
    /// </summary>
    public static DatasetSplits Load(DatasetDeclaration declaration) => LoadDeclaration(declaration, "shipped\n" + declaration.ToYaml());

    private static DatasetSplits LoadDeclaration(DatasetDeclaration declaration, string source)
    {
        var stamp = string.Join("|", [source, .. declaration.References.Select(r =>
        {
            var file = new FileInfo(declaration.Resolve(r).Path);
            return file.Exists ? $"{file.FullName}:{file.Length}:{file.LastWriteTimeUtc.Ticks}" : r;
        })]);
        var key = $"declared#{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(stamp)))}";
        var lazy = Loaded.GetOrAdd(key, _ => new Lazy<(DatasetSplits, ImageSet)>(() => (DeclaredDataset.Load(declaration), new ImageSet([], []))));
        try
        {
            return lazy.Value.Splits;
        }
        catch
        {
            Loaded.TryRemove(KeyValuePair.Create(key, lazy));
            throw;
        }
    }

    private static DatasetInfo FilesOf(DatasetInfo info) => info.BuiltFrom is null ? info : DatasetCatalog.Find(info.BuiltFrom)!;

    private (DatasetSplits Splits, ImageSet Validation) LoadCached(DatasetInfo info)
    {
        var folder = Path.Combine(Directory, FilesOf(info).Name);
        // A dataset cut from another's files shares their folder, so the cache tells them apart by name too; a refetch
        // of the folder clears only the folder's own entry, which is enough because a refetch happens only when the
        // files are damaged, and then their cut was never loaded.
        var key = info.BuiltFrom is null ? folder : $"{folder}#{info.Name}";
        var lazy = Loaded.GetOrAdd(key, _ => new Lazy<(DatasetSplits, ImageSet)>(() => ReadFromDisk(info, folder)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed load is not cached: the user may fix the files, or another run may fetch them.
            Loaded.TryRemove(KeyValuePair.Create(key, lazy));
            throw;
        }
    }

    private static (DatasetSplits, ImageSet) ReadFromDisk(DatasetInfo info, string folder)
    {
        lock (FolderLocks.GetOrAdd(folder, _ => new object()))
        {
            var filesInfo = FilesOf(info);
            var files = Locate(filesInfo, folder);
            var manifest = DatasetManifest.Read(folder);
            var provenance = manifest is null
                ? $"{filesInfo.Name} from files in {folder} (no manifest), sha256:{DatasetManifest.CombinedChecksum(files.Files.Select(FileDigest.Sha256))[..12]}"
                : Verify(files, manifest, folder).Provenance;
            if (info.BuiltFrom is not null)
            {
                var (train, testImages) = SegMnist.Cut(
                    IdxFile.ReadImageSet(files.TrainImages, files.TrainLabels), IdxFile.ReadImageSet(files.TestImages, files.TestLabels));
                return (new DatasetSplits(info.Name, train, testImages, $"{info.Name} cut from {provenance}"), new ImageSet([], []));
            }
            var trainingFile = IdxFile.ReadImageSet(files.TrainImages, files.TrainLabels, limit: TrainingSplit.PoolSize);
            var test = IdxFile.ReadImageSet(files.TestImages, files.TestLabels);
            var split = TrainingSplit.Cut(trainingFile);
            return (new DatasetSplits(info.Name, split.Train, test, provenance), split.Validation);
        }
    }

    // Files present: with a manifest they must match it; without one they are the user's, checked completely and
    // given a manifest so that later loads can detect changes.
    private static DatasetManifest CheckPresent(DatasetInfo info, string folder, DatasetManifest? manifest)
    {
        var files = Locate(info, folder);
        if (manifest is not null) return Verify(files, manifest, folder);
        var entries = ManifestFile.Describe(files);
        var created = new DatasetManifest(info.Name, $"files placed in {folder}", FetchedByGfe: false,
            DateTimeOffset.UtcNow, entries, "Found in the data directory; not fetched by gfe, so never replaced by it.");
        try
        {
            created.Write(folder);
            Loaded.TryRemove(folder, out _);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only folder of the user's is fine to use; only change detection is lost.
        }
        return created;
    }

    private static DatasetLayout Locate(DatasetInfo info, string folder) =>
        DatasetLayout.TryLocate(folder, out var missing) ?? throw new DataException(
            $"{info.Name} is not complete in {folder}: missing {string.Join(", ", missing.Select(m => m + "[.gz]"))}. " +
            "Fetch it first, or put the four IDX files there.");

    private static DatasetManifest Verify(DatasetLayout files, DatasetManifest manifest, string folder)
    {
        var manifestPath = Path.Combine(folder, DatasetManifest.FileName);
        foreach (var path in files.Files)
        {
            var name = Path.GetFileName(path);
            var entry = manifest.Files.FirstOrDefault(f => f.Name == name) ?? throw new DataException(
                $"{path} is not listed in {manifestPath}; remove the file that does not belong, or the manifest to accept the folder as it is.");
            var actual = FileDigest.Sha256(path);
            if (actual != entry.Sha256)
                throw new DataException(
                    $"{path}: SHA-256 {actual[..12]}... differs from {entry.Sha256[..Math.Min(12, entry.Sha256.Length)]}... in {manifestPath}; " +
                    "the file changed after it was recorded.");
        }
        return manifest;
    }

    private static void DeleteFetched(string folder, DatasetManifest manifest)
    {
        foreach (var file in manifest.Files)
        {
            var path = Path.Combine(folder, Path.GetFileName(file.Name));
            if (File.Exists(path)) File.Delete(path);
        }
        File.Delete(Path.Combine(folder, DatasetManifest.FileName));
    }
}
