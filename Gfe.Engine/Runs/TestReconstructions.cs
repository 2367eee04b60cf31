namespace Gfe.Engine.Runs;

/// <summary>
/// The first K test images beside their reconstructions (Figure 3): pixels in [0,1], 784 per image, row-major, the
/// reconstructions being the sigmoid of the decoder's logits, one set per evaluation (<see cref="Evaluations"/>).
/// </summary>
public sealed record TestReconstructions(float[] Originals, IReadOnlyDictionary<string, float[]> Reconstructed)
{
    /// <summary>K, the number of test images shown.</summary>
    public int Count => Originals.Length / Data.ImageSet.ImageSize;
}
