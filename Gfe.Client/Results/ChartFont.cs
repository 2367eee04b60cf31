using SkiaSharp;

namespace Gfe.Client.Results;

/// <summary>The typeface of every figure's text: a common sans font found on disk, because the NoDependencies Skia
/// build has no fontconfig to ask; Skia's default (which may draw nothing) only when none is installed.</summary>
public static class ChartFont
{
    static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/System/Library/Fonts/Helvetica.ttc",
        "C:\\Windows\\Fonts\\arial.ttf",
    ];

    static readonly Lazy<SKTypeface> Loaded = new(() =>
        FontFiles.Where(File.Exists).Select(SKTypeface.FromFile).FirstOrDefault(t => t is not null) ?? SKTypeface.Default);

    /// <summary>The first of the font files that exists, or null (for ScottPlot figures, which load fonts by path).</summary>
    public static string? FontFile => FontFiles.FirstOrDefault(File.Exists);

    public static SKTypeface Typeface => Loaded.Value;
}
