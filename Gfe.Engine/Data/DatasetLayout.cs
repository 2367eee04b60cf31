namespace Gfe.Engine.Data;

/// <summary>
/// The four IDX files of a dataset folder, under their standard names (LeCun's, also used by Fashion-MNIST). Each may
/// be gzip-compressed (<c>.gz</c>, preferred when both exist) or raw.
/// </summary>
public sealed record DatasetLayout(string TrainImages, string TrainLabels, string TestImages, string TestLabels)
{
    public const string TrainImagesName = "train-images-idx3-ubyte";
    public const string TrainLabelsName = "train-labels-idx1-ubyte";
    public const string TestImagesName = "t10k-images-idx3-ubyte";
    public const string TestLabelsName = "t10k-labels-idx1-ubyte";

    /// <summary>The standard names without extension, in manifest order.</summary>
    public static IReadOnlyList<string> StandardNames { get; } =
        [TrainImagesName, TrainLabelsName, TestImagesName, TestLabelsName];

    /// <summary>The four paths in manifest order.</summary>
    public IReadOnlyList<string> Files => [TrainImages, TrainLabels, TestImages, TestLabels];

    /// <summary>The files as a fetch writes them: gzip-compressed under the standard names.</summary>
    public static DatasetLayout Compressed(string directory) => new(
        Path.Combine(directory, TrainImagesName + ".gz"), Path.Combine(directory, TrainLabelsName + ".gz"),
        Path.Combine(directory, TestImagesName + ".gz"), Path.Combine(directory, TestLabelsName + ".gz"));

    /// <summary>Finds the four files in <paramref name="directory"/>; null with the missing names if any is absent.</summary>
    public static DatasetLayout? TryLocate(string directory, out IReadOnlyList<string> missing)
    {
        var found = StandardNames.Select(name => Find(directory, name)).ToArray();
        missing = StandardNames.Where((_, i) => found[i] is null).ToArray();
        return missing.Count == 0 ? new DatasetLayout(found[0]!, found[1]!, found[2]!, found[3]!) : null;
    }

    /// <summary>True if any of the four files, compressed or raw, is in <paramref name="directory"/>.</summary>
    public static bool AnyPresent(string directory) => StandardNames.Any(name => Find(directory, name) is not null);

    private static string? Find(string directory, string name)
    {
        var compressed = Path.Combine(directory, name + ".gz");
        if (File.Exists(compressed)) return compressed;
        var raw = Path.Combine(directory, name);
        return File.Exists(raw) ? raw : null;
    }
}
