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
}
