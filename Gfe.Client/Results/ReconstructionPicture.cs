using Gfe.Abstractions;
using SkiaSharp;

namespace Gfe.Client.Results;

/// <summary>
/// Figure 3 for one run: a grey PNG with the first K test images in the top row and below them, one row per evaluation
/// (AE, GFE-amd, Mixed), their reconstructions, each image drawn <see cref="Scale"/> times enlarged.
/// </summary>
public static class ReconstructionPicture
{
    public const int Scale = 2;
    public const int Gap = 2;
    const int Side = 28;
    const byte GapGrey = 128;

    /// <summary>The rows of the picture: the originals, then the reconstructions by evaluation in table order.</summary>
    public static IReadOnlyList<string> RowNames(ReconstructionSample sample) =>
        ["original", .. ResultPivot.OrderEvaluations(sample.Reconstructed.Keys)];

    /// <summary>Width and height in pixels of the picture of <paramref name="images"/> images in <paramref name="rows"/> rows.</summary>
    public static (int Width, int Height) Size(int images, int rows) =>
        (images * Side * Scale + (images + 1) * Gap, rows * Side * Scale + (rows + 1) * Gap);

    public static void Write(string path, ReconstructionSample sample)
    {
        int images = sample.Originals.Length / (Side * Side);
        var rows = RowNames(sample).Select((name, i) => i == 0 ? sample.Originals : sample.Reconstructed[name]).ToList();
        var (width, height) = Size(images, rows.Count);

        var grey = new byte[width * height];
        Array.Fill(grey, GapGrey);
        for (int row = 0; row < rows.Count; row++)
            for (int image = 0; image < images; image++)
                for (int y = 0; y < Side * Scale; y++)
                    for (int x = 0; x < Side * Scale; x++)
                    {
                        float value = rows[row][image * Side * Side + y / Scale * Side + x / Scale];
                        int top = Gap + row * (Side * Scale + Gap), left = Gap + image * (Side * Scale + Gap);
                        grey[(top + y) * width + left + x] = (byte)Math.Clamp(MathF.Round(value * 255f), 0f, 255f);
                    }

        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)   // row by row: Skia may pad rows beyond the width
            System.Runtime.InteropServices.Marshal.Copy(grey, y * width, bitmap.GetPixels() + y * bitmap.RowBytes, width);
        PngFile.Write(path, bitmap);
    }
}
