namespace Gfe.Engine.Runs;

/// <summary>
/// The first K test samples beside their reconstructions (Figure 3), each row-major in <see cref="SampleShape"/>
/// (28x28 pixels in [0,1] for the built-in datasets), one set of reconstructions per evaluation
/// (<see cref="Evaluations"/>): the sigmoid of the decoder's logits for loss bce, its output for mse.
/// </summary>
public sealed record TestReconstructions(float[] Originals, IReadOnlyDictionary<string, float[]> Reconstructed, int[]? SampleShape = null)
{
    /// <summary>K, the number of test samples shown.</summary>
    public int Count => Originals.Length / (SampleShape ?? Data.ImageSet.ImageShape).Aggregate(1, (n, d) => n * d);
}
