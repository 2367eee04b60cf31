using System.Globalization;
using SkiaSharp;

namespace Gfe.Client.Results;

/// <summary>
/// A plain line chart as a PNG, drawn with SkiaSharp: a frame with ticks and grid lines at round numbers, axis labels,
/// a title, and a legend naming each line (the style of the paper's Figures 1 and 2).
/// </summary>
public static class LineChart
{
    public const int Width = 900;
    public const int Height = 560;

    /// <summary>Lines with at most this many points are drawn with a dot at each point.</summary>
    const int MarkedPoints = 40;

    const float Left = 80, Right = 24, Top = 44, Bottom = 60;

    /// <summary>Distinct and still distinct in grey print: blue, orange, green, red, purple, brown, pink, grey.</summary>
    static readonly SKColor[] Palette =
    [
        new(0x1f, 0x77, 0xb4), new(0xff, 0x7f, 0x0e), new(0x2c, 0xa0, 0x2c), new(0xd6, 0x27, 0x28),
        new(0x94, 0x67, 0xbd), new(0x8c, 0x56, 0x4b), new(0xe3, 0x77, 0xc2), new(0x7f, 0x7f, 0x7f),
    ];

    /// <summary>Writes the chart to <paramref name="path"/>; points that are not finite are left out.</summary>
    public static void Write(string path, string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series)
    {
        var lines = series
            .Select(s => s with { Points = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList() })
            .Where(s => s.Points.Count > 0)
            .ToList();
        var (xMin, xMax) = Range(lines.SelectMany(s => s.Points).Select(p => p.X), fromZero: true);
        var (yMin, yMax) = Range(lines.SelectMany(s => s.Points).Select(p => p.Y), fromZero: false);
        var xTicks = Ticks(xMin, xMax);
        var yTicks = Ticks(yMin, yMax);
        (xMin, xMax) = (Math.Min(xMin, xTicks[0]), Math.Max(xMax, xTicks[^1]));
        (yMin, yMax) = (Math.Min(yMin, yTicks[0]), Math.Max(yMax, yTicks[^1]));

        var plot = new SKRect(Left, Top, Width - Right, Height - Bottom);
        float X(double x) => plot.Left + (float)((x - xMin) / (xMax - xMin)) * plot.Width;
        float Y(double y) => plot.Bottom - (float)((y - yMin) / (yMax - yMin)) * plot.Height;

        using var bitmap = new SKBitmap(Width, Height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var font = new SKFont(ChartFont.Typeface, 14);
        using var titleFont = new SKFont(ChartFont.Typeface, 17);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(0xe4, 0xe4, 0xe4), StrokeWidth = 1, Style = SKPaintStyle.Stroke };
        using var frame = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, Style = SKPaintStyle.Stroke, IsAntialias = true };

        foreach (var tick in xTicks)
        {
            canvas.DrawLine(X(tick), plot.Top, X(tick), plot.Bottom, grid);
            canvas.DrawLine(X(tick), plot.Bottom, X(tick), plot.Bottom + 5, frame);
            canvas.DrawText(TickText(tick, xTicks), X(tick), plot.Bottom + 22, SKTextAlign.Center, font, ink);
        }
        foreach (var tick in yTicks)
        {
            canvas.DrawLine(plot.Left, Y(tick), plot.Right, Y(tick), grid);
            canvas.DrawLine(plot.Left - 5, Y(tick), plot.Left, Y(tick), frame);
            canvas.DrawText(TickText(tick, yTicks), plot.Left - 8, Y(tick) + 5, SKTextAlign.Right, font, ink);
        }
        canvas.DrawRect(plot, frame);
        canvas.DrawText(title, Width / 2f, Top - 16, SKTextAlign.Center, titleFont, ink);
        canvas.DrawText(xLabel, plot.MidX, Height - 14, SKTextAlign.Center, font, ink);
        canvas.Save();
        canvas.RotateDegrees(-90, 18, plot.MidY);
        canvas.DrawText(yLabel, 18, plot.MidY + 5, SKTextAlign.Center, font, ink);
        canvas.Restore();

        canvas.Save();
        canvas.ClipRect(plot);
        for (int i = 0; i < lines.Count; i++)
        {
            using var stroke = new SKPaint { Color = Palette[i % Palette.Length], StrokeWidth = 2, Style = SKPaintStyle.Stroke, IsAntialias = true };
            using var line = new SKPath();
            var points = lines[i].Points;
            line.MoveTo(X(points[0].X), Y(points[0].Y));
            foreach (var (x, y) in points.Skip(1)) line.LineTo(X(x), Y(y));
            canvas.DrawPath(line, stroke);
            // Sparse lines (evaluation curves) get a dot per point: a single point would be invisible as a path, and
            // the dots show where the evaluations were.
            if (points.Count <= MarkedPoints)
            {
                using var dot = new SKPaint { Color = stroke.Color, IsAntialias = true };
                foreach (var (x, y) in points) canvas.DrawCircle(X(x), Y(y), 3.5f, dot);
            }
        }
        canvas.Restore();

        DrawLegend(canvas, plot, lines, font, ink);
        if (lines.Count == 0) canvas.DrawText("no data", plot.MidX, plot.MidY, SKTextAlign.Center, titleFont, ink);

        PngFile.Write(path, bitmap);
    }

    static void DrawLegend(SKCanvas canvas, SKRect plot, IReadOnlyList<ChartSeries> lines, SKFont font, SKPaint ink)
    {
        if (lines.Count == 0) return;
        const float Row = 20, Swatch = 24, Pad = 8;
        float width = lines.Max(s => font.MeasureText(s.Label)) + Swatch + 3 * Pad;
        var box = new SKRect(plot.Right - width - 10, plot.Top + 10, plot.Right - 10, plot.Top + 10 + lines.Count * Row + Pad);
        using var background = new SKPaint { Color = new SKColor(255, 255, 255, 230) };
        using var border = new SKPaint { Color = new SKColor(0xa0, 0xa0, 0xa0), Style = SKPaintStyle.Stroke };
        canvas.DrawRect(box, background);
        canvas.DrawRect(box, border);
        for (int i = 0; i < lines.Count; i++)
        {
            float y = box.Top + Pad + i * Row + Row / 2;
            using var stroke = new SKPaint { Color = Palette[i % Palette.Length], StrokeWidth = 3, IsAntialias = true };
            canvas.DrawLine(box.Left + Pad, y - 4, box.Left + Pad + Swatch, y - 4, stroke);
            canvas.DrawText(lines[i].Label, box.Left + 2 * Pad + Swatch, y + 1, SKTextAlign.Left, font, ink);
        }
    }

    /// <summary>The data range, widened when it is a single value; the x axis starts at zero like the paper's.</summary>
    static (double Min, double Max) Range(IEnumerable<double> values, bool fromZero)
    {
        var list = values.ToList();
        if (list.Count == 0) return (0, 1);
        double min = fromZero ? Math.Min(0, list.Min()) : list.Min(), max = list.Max();
        if (max - min < 1e-12 * Math.Max(1, Math.Abs(max))) (min, max) = (min - 0.5 * Math.Max(1e-3, Math.Abs(min)), max + 0.5 * Math.Max(1e-3, Math.Abs(max)));
        return (min, max);
    }

    /// <summary>About five ticks at 1, 2 or 5 times a power of ten, covering [min, max].</summary>
    public static IReadOnlyList<double> Ticks(double min, double max)
    {
        double raw = (max - min) / 5;
        double power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(m => m * power).First(s => s >= raw);
        double first = Math.Floor(min / step) * step, last = Math.Ceiling(max / step) * step;
        var ticks = new List<double>();
        for (int i = 0; first + i * step <= last + step * 1e-9; i++) ticks.Add(first + i * step);
        return ticks;
    }

    /// <summary>Tick labels with as many decimals as the step needs; large counts with a k or M suffix.</summary>
    static string TickText(double value, IReadOnlyList<double> ticks)
    {
        double step = ticks.Count > 1 ? ticks[1] - ticks[0] : 1;
        if (Math.Abs(value) < step * 1e-9) return "0";
        if (step >= 1e6) return (value / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M";
        if (step >= 1e3) return (value / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "k";
        int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
        return value.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }
}
