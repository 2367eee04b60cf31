using Gfe.Abstractions;
using SkiaSharp;

namespace Gfe.Client.Results;

/// <summary>
/// Reconstruction grids (Figure 3) as grey PNGs: rows of test images, each image drawn <see cref="Scale"/> times
/// enlarged with a <see cref="Gap"/> of mid grey around it. For one run: the first K test images in the top row and
/// below them, one row per evaluation (AE, GFE-amd, Mixed), their reconstructions. For a figure of several runs
/// (<see cref="WriteLabelled"/>): the same rows with a name at the left of each.
/// </summary>
public static class ReconstructionPicture
{
    public const int Scale = 2;
    public const int Gap = 2;
    const int Side = 28;
    const int ImagePixels = Side * Side;
    const byte GapGrey = 128;
    const int LabelWidth = 170;

    /// <summary>The rows of a run's picture: the originals, then the reconstructions by evaluation in table order.</summary>
    public static IReadOnlyList<string> RowNames(ReconstructionSample sample) =>
        [ReconstructionsCsv.OriginalRow, .. ResultPivot.OrderEvaluations(sample.Reconstructed.Keys)];

    /// <summary>Width and height in pixels of the grid of <paramref name="images"/> images in <paramref name="rows"/> rows.</summary>
    public static (int Width, int Height) Size(int images, int rows) =>
        (images * Side * Scale + (images + 1) * Gap, rows * Side * Scale + (rows + 1) * Gap);

    public static void Write(string path, ReconstructionSample sample)
    {
        var rows = RowNames(sample).Select(name => name == ReconstructionsCsv.OriginalRow ? sample.Originals : sample.Reconstructed[name]).ToList();
        using var bitmap = Grid(rows);
        PngFile.Write(path, bitmap);
    }

    /// <summary>Several runs' rows in one picture, each row named at its left (e.g. "mnist: original", "GFE-amd").
    /// Rows with fewer images than the longest end in gap grey.</summary>
    public static void WriteLabelled(string path, IReadOnlyList<(string Label, float[] Pixels)> rows)
    {
        using var grid = Grid(rows.Select(r => r.Pixels).ToList());
        using var bitmap = new SKBitmap(new SKImageInfo(LabelWidth + grid.Width, grid.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        canvas.DrawBitmap(grid, LabelWidth, 0);
        using var font = new SKFont(ChartFont.Typeface, 14);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int row = 0; row < rows.Count; row++)
        {
            float middle = Gap + row * (Side * Scale + Gap) + Side * Scale / 2f + 5;
            canvas.DrawText(rows[row].Label, LabelWidth - 8, middle, SKTextAlign.Right, font, ink);
        }
        PngFile.Write(path, bitmap);
    }

    /// <summary>The grey grid of <paramref name="rows"/>, each a run of 784-pixel images in [0,1].</summary>
    static SKBitmap Grid(IReadOnlyList<float[]> rows)
    {
        int images = rows.Count == 0 ? 0 : rows.Max(r => r.Length / ImagePixels);
        var (width, height) = Size(images, rows.Count);
        var grey = new byte[width * height];
        Array.Fill(grey, GapGrey);
        for (int row = 0; row < rows.Count; row++)
            for (int image = 0; image < rows[row].Length / ImagePixels; image++)
                for (int y = 0; y < Side * Scale; y++)
                    for (int x = 0; x < Side * Scale; x++)
                    {
                        float value = rows[row][image * ImagePixels + y / Scale * Side + x / Scale];
                        int top = Gap + row * (Side * Scale + Gap), left = Gap + image * (Side * Scale + Gap);
                        grey[(top + y) * width + left + x] = (byte)Math.Clamp(MathF.Round(value * 255f), 0f, 255f);
                    }

        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)   // row by row: Skia may pad rows beyond the width
            System.Runtime.InteropServices.Marshal.Copy(grey, y * width, bitmap.GetPixels() + y * bitmap.RowBytes, width);
        return bitmap;
    }
}
