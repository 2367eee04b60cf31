namespace Gfe.Engine.Data;

/// <summary>
/// Images as 28x28 = 784 floats in [0,1] each, row-major, one image after another, with their labels.
/// </summary>
public sealed record ImageSet(float[] Pixels, byte[] Labels)
{
    public const int Rows = 28;
    public const int Columns = 28;
    public const int ImageSize = Rows * Columns;

    public int Count => Labels.Length;

    /// <summary>The images at the given indices, in that order.</summary>
    public ImageSet Select(IReadOnlyList<int> indices)
    {
        var pixels = new float[indices.Count * ImageSize];
        var labels = new byte[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Array.Copy(Pixels, (long)indices[i] * ImageSize, pixels, (long)i * ImageSize, ImageSize);
            labels[i] = Labels[indices[i]];
        }
        return new ImageSet(pixels, labels);
    }

    /// <summary>The first <paramref name="count"/> images.</summary>
    public ImageSet Head(int count) => Select(Enumerable.Range(0, Math.Min(count, Count)).ToArray());
}
