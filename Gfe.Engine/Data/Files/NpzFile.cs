using System.IO.Compression;

namespace Gfe.Engine.Data.Files;

/// <summary>
/// NumPy's .npz: a zip archive (stored or deflated, as np.savez and np.savez_compressed write it) of .npy files, one
/// per array, named <c>&lt;array name&gt;.npy</c>. An array is chosen by name (<c>file.npz:name</c>); a file with a single
/// array needs no name.
/// </summary>
public static class NpzFile
{
    /// <summary>The array names in the archive, in archive order.</summary>
    public static IReadOnlyList<string> Names(string path)
    {
        using var zip = Open(path);
        return zip.Entries.Where(e => e.FullName.EndsWith(".npy", StringComparison.Ordinal)).Select(e => e.FullName[..^4]).ToList();
    }

    /// <summary>Reads the array <paramref name="name"/>, or the only array when the name is null.</summary>
    public static SampleArray Read(string path, string? name)
    {
        using var zip = Open(path);
        var arrays = zip.Entries.Where(e => e.FullName.EndsWith(".npy", StringComparison.Ordinal)).ToList();
        ZipArchiveEntry? entry;
        if (name is null)
        {
            if (arrays.Count != 1)
                throw new DataInputException(
                    $"{path}: holds {arrays.Count} arrays ({Listing(arrays)}); name one, e.g. {path}:{(arrays.Count > 0 ? arrays[0].FullName[..^4] : "x")}.");
            entry = arrays[0];
        }
        else
        {
            entry = arrays.FirstOrDefault(e => e.FullName == name + ".npy") ?? throw new DataInputException(
                $"{path}: has no array '{name}'; it holds {Listing(arrays)}.");
        }
        try
        {
            using var stream = entry.Open();
            return NpyFile.Read(stream, $"{path}:{entry.FullName[..^4]}");
        }
        catch (InvalidDataException e)
        {
            throw new DataInputException($"{path}:{entry.FullName[..^4]}: the archive entry is damaged: {e.Message}", e);
        }
    }

    /// <summary>Writes arrays (float, double, byte, short or int, with their shapes) as an uncompressed .npz.</summary>
    public static void Write(string path, IReadOnlyList<(string Name, Array Values, int[] Shape)> arrays)
    {
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        foreach (var (name, values, shape) in arrays)
        {
            using var stream = zip.CreateEntry(name + ".npy", CompressionLevel.NoCompression).Open();
            NpyFile.Write(stream, values, shape);
        }
    }

    static string Listing(IReadOnlyList<ZipArchiveEntry> arrays) =>
        arrays.Count == 0 ? "no .npy entries" : string.Join(", ", arrays.Select(a => a.FullName[..^4]));

    static ZipArchive Open(string path)
    {
        var stream = DataFileIo.OpenRead(path);
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            stream.Dispose();
            throw new DataInputException($"{path}: not a .npz (zip) archive: {e.Message}", e);
        }
    }
}
