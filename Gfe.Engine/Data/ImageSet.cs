namespace Gfe.Engine.Data;

/// <summary>
/// Samples as float features, one sample after another, with a byte label each. The name is historical: the built-in
/// datasets are 28x28 = 784 pixels in [0,1], row-major, which is the default <see cref="SampleShape"/>; a dataset from
/// files has its own sample shape (e.g. [64, 64] or [200]), and the model sees each sample flattened to
/// <see cref="FeatureCount"/> values. Labels of a dataset from files are not bytes; they live beside the splits
/// (<see cref="DatasetSplits.TestLabels"/>) and are zeros here.
/// </summary>
public sealed record ImageSet(float[] Pixels, byte[] Labels)
{
    public const int Rows = 28;
    public const int Columns = 28;
    public const int ImageSize = Rows * Columns;

    public static readonly int[] ImageShape = [Rows, Columns];

    /// <summary>The shape of one sample; [28, 28] for the MNIST family.</summary>
    public int[] SampleShape { get; init; } = ImageShape;

    /// <summary>Values per sample D: the product of <see cref="SampleShape"/>.</summary>
    public int FeatureCount => SampleShape.Aggregate(1, (n, d) => n * d);

    public int Count => Labels.Length;

    /// <summary>The samples at the given indices, in that order.</summary>
    public ImageSet Select(IReadOnlyList<int> indices)
    {
        int d = FeatureCount;
        var pixels = new float[(long)indices.Count * d];
        var labels = new byte[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Array.Copy(Pixels, (long)indices[i] * d, pixels, (long)i * d, d);
            labels[i] = Labels[indices[i]];
        }
        return new ImageSet(pixels, labels) { SampleShape = SampleShape };
    }

    /// <summary>The first <paramref name="count"/> samples.</summary>
    public ImageSet Head(int count) => Select(Enumerable.Range(0, Math.Min(count, Count)).ToArray());
}
