using Gfe.Engine.Data;

namespace Gfe.Tests.Data;

/// <summary>Small IDX datasets made in the test: image i has pixel bytes (i * 31 + p) mod 256 and label i mod 10,
/// so every image of a set up to 256 images is identified by its first pixel.</summary>
public static class SyntheticIdx
{
    public static byte[] ImageBytes(int count)
    {
        var bytes = new byte[count * ImageSet.ImageSize];
        for (int i = 0; i < count; i++)
            for (int p = 0; p < ImageSet.ImageSize; p++)
                bytes[i * ImageSet.ImageSize + p] = (byte)((i * 31 + p) % 256);
        return bytes;
    }

    public static byte[] Labels(int count) => Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();

    /// <summary>Writes the four standard files of a dataset into <paramref name="folder"/>.</summary>
    public static DatasetLayout WriteDataset(string folder, int trainCount, int testCount, bool gzip = true)
    {
        Directory.CreateDirectory(folder);
        var layout = gzip
            ? DatasetLayout.Compressed(folder)
            : new DatasetLayout(
                Path.Combine(folder, DatasetLayout.TrainImagesName), Path.Combine(folder, DatasetLayout.TrainLabelsName),
                Path.Combine(folder, DatasetLayout.TestImagesName), Path.Combine(folder, DatasetLayout.TestLabelsName));
        IdxFile.WriteImages(layout.TrainImages, ImageBytes(trainCount), gzip);
        IdxFile.WriteLabels(layout.TrainLabels, Labels(trainCount), gzip);
        // The test images are shifted so that they are told apart from the training images.
        IdxFile.WriteImages(layout.TestImages, ImageBytes(trainCount + testCount)[(trainCount * ImageSet.ImageSize)..], gzip);
        IdxFile.WriteLabels(layout.TestLabels, Labels(trainCount + testCount)[trainCount..], gzip);
        return layout;
    }

    /// <summary>The index i (below 256) of a synthetic image, recovered from its first pixel 31 i mod 256; 223 is the
    /// inverse of 31 modulo 256.</summary>
    public static int IdentityOf(ImageSet set, int image)
    {
        int first = (int)MathF.Round(set.Pixels[image * ImageSet.ImageSize] * 255f);
        return first * 223 % 256;
    }
}
