using System.Net;
using System.Text;
using System.Text.Json;
using Markdig;

namespace Gfe.Client.Results;

/// <summary>
/// report.html: one self-contained page per results folder that opens offline in a browser: the result table
/// (table.md) and the search report (report.md) as HTML tables, every figure of plots/, reconstructions/ and latents/ inline
/// (PNG as data: URLs), the sweep file as written, and the provenance from manifest.json. No script, style sheet,
/// font or image is fetched from anywhere.
/// </summary>
public static class HtmlReport
{
    public const string File = "report.html";

    static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UsePipeTables().Build();

    public static string Write(string directory, string name)
    {
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        page.Append($"<title>{Encode(name)}: GFE sweep report</title>\n");
        page.Append("""
            <style>
            body { font-family: sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #222; }
            table { border-collapse: collapse; margin: 1em 0; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
            th { background: #f3f3f3; }
            figure { margin: 1.5em 0; }
            figure img { max-width: 100%; border: 1px solid #eee; }
            pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; }
            </style>
            </head>
            <body>

            """);

        foreach (var markdown in new[] { ResultsWriter.TableMarkdownFile, SearchReportWriter.ReportFile })
        {
            var path = Path.Combine(directory, markdown);
            if (System.IO.File.Exists(path))
                page.Append($"<section id=\"{Path.GetFileNameWithoutExtension(markdown)}\">\n{Markdig.Markdown.ToHtml(System.IO.File.ReadAllText(path), Markdown)}</section>\n");
        }

        var figures = new[] { CurveFigures.Folder, ResultsWriter.ReconstructionsFolder, ModelFolders.LatentsFolder }
            .Select(folder => Path.Combine(directory, folder))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.GetFiles(folder, "*.png").Order(StringComparer.Ordinal))
            .ToList();
        if (figures.Count > 0)
        {
            page.Append("<section id=\"figures\">\n<h2>Figures</h2>\n");
            foreach (var figure in figures)
            {
                var relative = Path.GetRelativePath(directory, figure).Replace('\\', '/');
                page.Append($"<figure><img alt=\"{Encode(relative)}\" src=\"data:image/png;base64,{Convert.ToBase64String(System.IO.File.ReadAllBytes(figure))}\">")
                    .Append($"<figcaption>{Encode(relative)}</figcaption></figure>\n");
            }
            page.Append("</section>\n");
        }

        var manifestPath = Path.Combine(directory, ResultsWriter.ManifestFile);
        if (System.IO.File.Exists(manifestPath) && Manifest(manifestPath) is { } manifest)
        {
            if (manifest.SweepText is { } text)
                page.Append($"<section id=\"sweep-file\">\n<h2>Sweep file</h2>\n<pre>{Encode(text)}</pre>\n</section>\n");
            page.Append($"<section id=\"provenance\">\n<h2>Provenance</h2>\n<pre>{Encode(manifest.Provenance)}</pre>\n</section>\n");
        }
        // The one script: it marks on the page how many figures the browser decoded, for a reader (or a test) to
        // see at once that none is broken.
        page.Append("<script>window.addEventListener('load', () => { document.body.dataset.figuresShown = " +
                    "Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length; });</script>\n");
        page.Append("</body>\n</html>\n");

        var output = Path.Combine(directory, File);
        System.IO.File.WriteAllText(output, page.ToString(), new UTF8Encoding(false));
        return output;
    }

    static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>The sweep file's text and the rest of manifest.json (indented) as provenance; null when the manifest
    /// cannot be read, which only costs the page those two sections.</summary>
    static (string? SweepText, string Provenance)? Manifest(string path)
    {
        try
        {
            using var json = JsonDocument.Parse(System.IO.File.ReadAllText(path));
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            string? sweepText = root.TryGetProperty("sweepText", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var rest = new Dictionary<string, JsonElement>();
            foreach (var property in root.EnumerateObject())
                if (property.Name != "sweepText") rest[property.Name] = property.Value;
            return (sweepText, JsonSerializer.Serialize(rest, new JsonSerializerOptions { WriteIndented = true }));
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }
}
