using SkiaSharp;

namespace Gfe.Client.Results;

/// <summary>Saves a bitmap as a PNG file, its folder created if needed.</summary>
public static class PngFile
{
    public static void Write(string path, SKBitmap bitmap)
    {
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Written beside and renamed, so that a viewer never opens half a file.
        var temporary = path + ".tmp";
        using (var file = File.Create(temporary))
            data.SaveTo(file);
        File.Move(temporary, path, overwrite: true);
    }
}
