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
    const byte GapGrey = 128;
    const int LabelWidth = 170;

    /// <summary>The rows of a run's picture: the originals, then the reconstructions by evaluation in table order.</summary>
    public static IReadOnlyList<string> RowNames(ReconstructionSample sample) =>
        [ReconstructionsCsv.OriginalRow, .. ResultPivot.OrderEvaluations(sample.Reconstructed.Keys)];

    /// <summary>Width and height in pixels of the grid of <paramref name="images"/> images of
    /// <paramref name="side"/> (height, width) pixels in <paramref name="rows"/> rows.</summary>
    public static (int Width, int Height) Size(int images, int rows, (int Height, int Width) side) =>
        (images * side.Width * Scale + (images + 1) * Gap, rows * side.Height * Scale + (rows + 1) * Gap);

    /// <summary>The 28x28 images of the built-in datasets.</summary>
    public static (int Height, int Width) Mnist { get; } = (28, 28);

    /// <summary>How a sample of <paramref name="shape"/> is drawn: a 2-D sample as it is; a higher one with its leading
    /// dimensions stacked (channels one above the other).</summary>
    public static (int Height, int Width) ImageSide(int[] shape) =>
        shape.Length >= 2 ? (shape[..^1].Aggregate(1, (n, d) => n * d), shape[^1]) : (1, shape.Length == 1 ? shape[0] : 1);

    public static void Write(string path, ReconstructionSample sample)
    {
        var rows = RowNames(sample).Select(name => name == ReconstructionsCsv.OriginalRow ? sample.Originals : sample.Reconstructed[name]).ToList();
        using var bitmap = Grid(rows, ImageSide(sample.Shape));
        PngFile.Write(path, bitmap);
    }

    /// <summary>Several runs' rows in one picture, each row named at its left (e.g. "mnist: original", "GFE-amd").
    /// Rows with fewer images than the longest end in gap grey.</summary>
    public static void WriteLabelled(string path, IReadOnlyList<(string Label, float[] Pixels)> rows) => WriteLabelled(path, rows, Mnist);

    public static void WriteLabelled(string path, IReadOnlyList<(string Label, float[] Pixels)> rows, (int Height, int Width) side)
    {
        using var grid = Grid(rows.Select(r => r.Pixels).ToList(), side);
        using var bitmap = new SKBitmap(new SKImageInfo(LabelWidth + grid.Width, grid.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        canvas.DrawBitmap(grid, LabelWidth, 0);
        using var font = new SKFont(ChartFont.Typeface, 14);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int row = 0; row < rows.Count; row++)
        {
            float middle = Gap + row * (side.Height * Scale + Gap) + side.Height * Scale / 2f + 5;
            canvas.DrawText(rows[row].Label, LabelWidth - 8, middle, SKTextAlign.Right, font, ink);
        }
        PngFile.Write(path, bitmap);
    }

    /// <summary>The grey grid of <paramref name="rows"/>, each a run of images of <paramref name="side"/> with values in
    /// [0,1] (clamped: real-valued data beyond it saturate).</summary>
    static SKBitmap Grid(IReadOnlyList<float[]> rows, (int Height, int Width) side)
    {
        int imagePixels = side.Height * side.Width;
        int images = rows.Count == 0 ? 0 : rows.Max(r => r.Length / imagePixels);
        var (width, height) = Size(images, rows.Count, side);
        var grey = new byte[width * height];
        Array.Fill(grey, GapGrey);
        for (int row = 0; row < rows.Count; row++)
            for (int image = 0; image < rows[row].Length / imagePixels; image++)
                for (int y = 0; y < side.Height * Scale; y++)
                    for (int x = 0; x < side.Width * Scale; x++)
                    {
                        float value = rows[row][image * imagePixels + y / Scale * side.Width + x / Scale];
                        int top = Gap + row * (side.Height * Scale + Gap), left = Gap + image * (side.Width * Scale + Gap);
                        grey[(top + y) * width + left + x] = (byte)Math.Clamp(MathF.Round(value * 255f), 0f, 255f);
                    }

        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)   // row by row: Skia may pad rows beyond the width
            System.Runtime.InteropServices.Marshal.Copy(grey, y * width, bitmap.GetPixels() + y * bitmap.RowBytes, width);
        return bitmap;
    }
}
