namespace Gfe.Abstractions;

/// <summary>The first test samples of a run and their reconstructions by evaluation name, each sample row-major in
/// <see cref="Shape"/> (28x28 images in [0,1] for the built-in datasets; any shape and real values for a dataset from
/// files).</summary>
[GenerateSerializer, Immutable]
public sealed record ReconstructionSample(
    [property: Id(0)] float[] Originals,
    [property: Id(1)] Dictionary<string, float[]> Reconstructed,
    [property: Id(2)] int[]? SampleShape = null)
{
    /// <summary>The shape of one sample; records written before samples had shapes hold 28x28 images.</summary>
    public int[] Shape => SampleShape ?? [28, 28];

    /// <summary>Values per sample.</summary>
    public int Features => Shape.Aggregate(1, (n, d) => n * d);

    /// <summary>How many samples are shown.</summary>
    public int Count => Originals.Length / Features;
}
