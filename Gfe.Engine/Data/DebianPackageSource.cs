namespace Gfe.Engine.Data;

/// <summary>
/// Fashion-MNIST from Debian's package <c>dataset-fashion-mnist</c>, which ships the real upstream IDX files under
/// /usr/share/datasets/fashion-mnist. If the package is installed those files are copied; otherwise the package is
/// downloaded with <c>apt-get download</c> into a temporary folder and unpacked with <c>dpkg-deb -x</c>, so nothing is
/// installed. Debian recompressed the .gz files, so their checksums differ from the mirrors' MD5s; the manifest records
/// their SHA-256 instead.
/// </summary>
/// <param name="packagedDirectory">Where the package puts the IDX files, e.g. /usr/share/datasets/fashion-mnist.</param>
/// <param name="systemRoot">The root under which an installed package is looked for; "/" except in tests.</param>
public sealed class DebianPackageSource(
    string dataset, string package, string packagedDirectory, string systemRoot = "/", TimeSpan? toolTimeout = null)
    : IDataSource
{
    public static DebianPackageSource FashionMnist() =>
        new("fashion-mnist", "dataset-fashion-mnist", "/usr/share/datasets/fashion-mnist");

    private readonly TimeSpan timeout = toolTimeout ?? TimeSpan.FromMinutes(10);
    private readonly string installedDirectory = Path.Combine(systemRoot, packagedDirectory.TrimStart('/'));

    public string Name => $"Debian package {package}";

    public FetchedDataset Fetch(string targetDirectory, IProgress<FetchProgress>? progress, CancellationToken cancel)
    {
        if (DatasetLayout.TryLocate(installedDirectory, out _) is { } installed)
        {
            progress?.Report(new FetchProgress(dataset, $"copying the installed {package} from {installedDirectory}", null));
            CopyInto(installed, targetDirectory);
            return new FetchedDataset($"Debian package {package} (installed, {installedDirectory})", Notes);
        }

        var scratch = Directory.CreateTempSubdirectory("gfe-apt-");
        try
        {
            Download(scratch.FullName, progress, cancel);
            var archive = scratch.GetFiles($"{package}_*.deb").SingleOrDefault()
                ?? throw new DataException($"apt-get download {package} left no {package}_*.deb in {scratch.FullName}.");
            var unpacked = Path.Combine(scratch.FullName, "unpacked");
            progress?.Report(new FetchProgress(dataset, $"dpkg-deb -x {archive.Name}", null));
            ExternalTool.Run("dpkg-deb", ["-x", archive.FullName, unpacked], scratch.FullName, timeout, cancel);
            var inside = Path.Combine(unpacked, packagedDirectory.TrimStart('/'));
            var files = DatasetLayout.TryLocate(inside, out var missing)
                ?? throw new DataException($"{archive.Name} has no {string.Join(", ", missing)} under {packagedDirectory}.");
            CopyInto(files, targetDirectory);
            // apt names the file <package>_<version>_<architecture>.deb.
            var version = archive.Name.Split('_') is [_, var v, _] ? v : archive.Name;
            return new FetchedDataset($"Debian package {package} {version}", Notes);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// apt-get download needs the package lists, which a fresh machine or container often lacks. As root, refresh them
    /// once and try again, so that a first run on a new machine fetches its data by itself; otherwise say what to run.
    /// </summary>
    private void Download(string folder, IProgress<FetchProgress>? progress, CancellationToken cancel)
    {
        progress?.Report(new FetchProgress(dataset, $"apt-get download {package}", null));
        try
        {
            ExternalTool.Run("apt-get", ["download", package], folder, timeout, cancel);
        }
        catch (DataException e) when (e.Message.Contains("Unable to locate package"))
        {
            if (Environment.UserName != "root")
                throw new DataException($"{e.Message} (the package lists may be empty: run 'sudo apt-get update' first)", e);
            progress?.Report(new FetchProgress(dataset, "apt-get update (the package lists are empty or stale)", null));
            ExternalTool.Run("apt-get", ["update"], folder, timeout, cancel);
            progress?.Report(new FetchProgress(dataset, $"apt-get download {package}", null));
            ExternalTool.Run("apt-get", ["download", package], folder, timeout, cancel);
        }
    }

    private const string Notes =
        "Upstream IDX files as packaged by Debian (gzip recompressed, so .gz checksums differ from the mirrors' MD5s).";

    private static void CopyInto(DatasetLayout files, string targetDirectory)
    {
        foreach (var file in files.Files)
            File.Copy(file, Path.Combine(targetDirectory, Path.GetFileName(file)));
    }
}
