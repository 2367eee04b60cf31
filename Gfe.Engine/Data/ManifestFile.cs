namespace Gfe.Engine.Data;

/// <summary>One IDX file of a dataset folder: its name, SHA-256 and how many images or labels it holds.</summary>
public sealed record ManifestFile(string Name, string Sha256, int Count)
{
    /// <summary>Reads all four files of a dataset completely (so corrupt ones fail here, naming the file) and describes
    /// each in manifest order.</summary>
    public static ManifestFile[] Describe(DatasetLayout files)
    {
        int trainCount = IdxFile.Validate(files.TrainImages, files.TrainLabels);
        int testCount = IdxFile.Validate(files.TestImages, files.TestLabels);
        int[] counts = [trainCount, trainCount, testCount, testCount];
        return files.Files
            .Select((path, i) => new ManifestFile(Path.GetFileName(path), FileDigest.Sha256(path), counts[i]))
            .ToArray();
    }
}
