namespace Gfe.Abstractions;

/// <summary>The first test images of a run (784 pixels in [0,1] each) and their reconstructions by evaluation name.</summary>
[GenerateSerializer, Immutable]
public sealed record ReconstructionSample(
    [property: Id(0)] float[] Originals,
    [property: Id(1)] Dictionary<string, float[]> Reconstructed);
