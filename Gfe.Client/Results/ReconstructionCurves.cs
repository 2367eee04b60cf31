using System.Text.Json;
using Gfe.Abstractions;
using SkiaSharp;

namespace Gfe.Client.Results;

/// <summary>
/// Reconstruction pictures of 1-D samples (spectra, curves): one panel per test sample, the original in black and each
/// evaluation's reconstruction overlaid in colour, in the data's own units when the run's model folder says how the
/// data were normalised. Whether a run's samples are 1-D comes from its saved model (models/&lt;key&gt;/model.json,
/// sampleShape), so <c>gfe report</c> draws the same offline.
/// </summary>
public static class ReconstructionCurves
{
    const int PanelWidth = 240, PanelHeight = 110, Margin = 8, LegendHeight = 22;
    static readonly SKColor[] Palette = [new(0x1f, 0x77, 0xb4), new(0xd6, 0x27, 0x28), new(0x2c, 0xa0, 0x2c), new(0x94, 0x67, 0xbd)];

    /// <summary>The run's sample shape and normalisation from its model folder; null when the folder is absent.</summary>
    public static (int[] Shape, float[] Offset, float[] Scale)? ModelInfo(string resultsDirectory, string key)
    {
        var path = Path.Combine(resultsDirectory, ModelFolders.FolderName, key, "model.json");
        if (!File.Exists(path)) return null;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var root = json.RootElement;
            var shape = root.GetProperty("sampleShape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var normalization = root.GetProperty("normalization");
            return (shape, normalization.GetProperty("offset").EnumerateArray().Select(e => e.GetSingle()).ToArray(),
                normalization.GetProperty("scale").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    public static void Write(string path, ReconstructionSample sample, int features, float[] offset, float[] scale)
    {
        var rows = ReconstructionPicture.RowNames(sample)
            .Select(name => (Name: name, Values: Units(name == ReconstructionsCsv.OriginalRow ? sample.Originals : sample.Reconstructed[name], offset, scale)))
            .ToList();
        int count = sample.Originals.Length / features;
        int width = Margin + count * (PanelWidth + Margin), height = LegendHeight + PanelHeight + 2 * Margin;
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var font = new SKFont(ChartFont.Typeface, 13);
        using var frame = new SKPaint { Color = new SKColor(0xb0, 0xb0, 0xb0), StrokeWidth = 1, Style = SKPaintStyle.Stroke };
        float legendX = Margin;
        for (int r = 0; r < rows.Count; r++)
        {
            using var ink = new SKPaint { Color = Colour(r), IsAntialias = true };
            canvas.DrawText(rows[r].Name, legendX, 16, SKTextAlign.Left, font, ink);
            legendX += font.MeasureText(rows[r].Name) + 16;
        }
        for (int k = 0; k < count; k++)
        {
            var panel = SKRect.Create(Margin + k * (PanelWidth + Margin), LegendHeight + Margin, PanelWidth, PanelHeight);
            canvas.DrawRect(panel, frame);
            var all = rows.SelectMany(row => row.Values.Skip(k * features).Take(features)).ToList();
            float min = all.Min(), max = all.Max(), span = max > min ? max - min : 1;
            for (int r = rows.Count - 1; r >= 0; r--)   // the original drawn last, on top
            {
                using var stroke = new SKPaint { Color = Colour(r), StrokeWidth = r == 0 ? 1.5f : 1.2f, Style = SKPaintStyle.Stroke, IsAntialias = true };
                using var line = new SKPath();
                for (int i = 0; i < features; i++)
                {
                    float x = panel.Left + 2 + (panel.Width - 4) * i / Math.Max(1, features - 1);
                    float y = panel.Bottom - 3 - (panel.Height - 6) * (rows[r].Values[k * features + i] - min) / span;
                    if (i == 0) line.MoveTo(x, y);
                    else line.LineTo(x, y);
                }
                canvas.DrawPath(line, stroke);
            }
        }
        PngFile.Write(path, bitmap);
    }

    static SKColor Colour(int row) => row == 0 ? SKColors.Black : Palette[(row - 1) % Palette.Length];

    static float[] Units(float[] values, float[] offset, float[] scale)
    {
        if (offset.Length == 0) return values;
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i] * scale[i % scale.Length] + offset[i % offset.Length];
        return result;
    }
}
