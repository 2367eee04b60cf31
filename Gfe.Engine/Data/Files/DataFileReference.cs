using System.Text.RegularExpressions;

namespace Gfe.Engine.Data.Files;

/// <summary>The file formats a dataset can be read from.</summary>
public enum DataFileFormat { Npy, Npz, Csv, Hdf5, Idx }

/// <summary>
/// A reference to an array in a file, as declarations and commands write it: <c>path</c>, or <c>path:inner</c> for
/// the array inside a container (<c>data.npz:train</c>, <c>data.h5:/group/dataset</c>). The format comes from the file
/// name: .npy; .npz; .csv, .tsv, .tab, .txt; .h5, .hdf5, .hdf; .idx or an MNIST-style name with <c>-idx</c> (raw or
/// .gz).
/// </summary>
public sealed partial record DataFileReference(string Path, string? Inner, DataFileFormat Format)
{
    public static DataFileReference Parse(string text, string? baseDirectory = null)
    {
        text = text.Trim();
        if (text.Length == 0) throw new DataInputException("an empty data file name");
        string path = text;
        string? inner = null;
        var container = Container().Match(text);
        if (container.Success)
        {
            path = container.Groups[1].Value;
            inner = container.Groups[3].Value;
        }
        if (baseDirectory is not null) path = System.IO.Path.GetFullPath(path, baseDirectory);
        return new DataFileReference(path, inner, FormatOf(path));
    }

    /// <summary>The format of a file by its name; an unknown ending is a <see cref="DataInputException"/>.</summary>
    public static DataFileFormat FormatOf(string path)
    {
        var name = System.IO.Path.GetFileName(path).ToLowerInvariant();
        if (name.EndsWith(".gz")) name = name[..^3];
        if (name.EndsWith(".npy")) return DataFileFormat.Npy;
        if (name.EndsWith(".npz")) return DataFileFormat.Npz;
        if (name.EndsWith(".csv") || name.EndsWith(".tsv") || name.EndsWith(".tab") || name.EndsWith(".txt")) return DataFileFormat.Csv;
        if (name.EndsWith(".h5") || name.EndsWith(".hdf5") || name.EndsWith(".hdf")) return DataFileFormat.Hdf5;
        if (name.EndsWith(".idx") || name.Contains("-idx")) return DataFileFormat.Idx;
        throw new DataInputException(
            $"{path}: unknown data file type; use .npy, .npz, .csv/.tsv, .h5 (file.h5:/group/dataset) or .idx.");
    }

    /// <summary>Reads the array, checked to be non-empty and finite.</summary>
    public SampleArray Read()
    {
        var array = Format switch
        {
            DataFileFormat.Npy => NpyFile.Read(Path),
            DataFileFormat.Npz => NpzFile.Read(Path, Inner),
            DataFileFormat.Csv => CsvTable.Read(Path),
            DataFileFormat.Hdf5 => Hdf5Data.Read(Path, Inner),
            _ => IdxArray.Read(Path),
        };
        return array.CheckUsable();
    }

    /// <summary>As written in a declaration: the path and, for containers, the array inside.</summary>
    public override string ToString() => Inner is null ? Path : $"{Path}:{Inner}";

    [GeneratedRegex(@"^(.*\.(npz|h5|hdf5|hdf)):(.+)$", RegexOptions.IgnoreCase)]
    private static partial Regex Container();
}
