using ScottPlot;

namespace Gfe.Client.Results;

/// <summary>A ScottPlot figure with the report's look: the font found on disk (the NoDependencies Skia build has no
/// fontconfig to ask), a legend, and PNG output of a fixed size.</summary>
public static class ReportFigure
{
    public const int Width = 900, Height = 560;

    static readonly Lazy<string?> FontName = new(() =>
    {
        var path = ChartFont.FontFile;
        if (path is null) return null;
        Fonts.AddFontFile("GfeReport", path);
        return "GfeReport";
    });

    public static Plot Create(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        if (FontName.Value is { } font) plot.Font.Set(font);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    /// <summary>Shows the bottom axis as a log axis: the plot holds log10(x), the ticks say x.</summary>
    public static void LogBottomAxis(Plot plot)
    {
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = x => Math.Pow(10, x).ToString("#,0.####", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    public static string Save(Plot plot, string folder, string file)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, file);
        plot.SavePng(path, Width, Height);
        return path;
    }
}
