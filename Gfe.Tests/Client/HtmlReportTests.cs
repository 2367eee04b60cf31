using System.Diagnostics;
using System.Text.RegularExpressions;
using Gfe.Client.Results;
using Xunit;

namespace Gfe.Tests.Client;

/// <summary>A fact that renders a page in headless Chromium: skipped, naming the package, where it is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HtmlReportTests.Chromium is null)
            Skip = "needs chromium on the PATH (Debian: apt-get install -y chromium)";
    }
}

/// <summary>report.html opens offline in a real browser and shows the tables, the figures, the sweep file and the
/// provenance.</summary>
public sealed partial class HtmlReportTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("gfe-html-report-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    public static string? Chromium { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .SelectMany(d => new[] { Path.Combine(d, "chromium"), Path.Combine(d, "chromium-browser") })
        .FirstOrDefault(File.Exists);

    const string SweepText = "name: html\nsearch: {method: random, trials: 2}\n# a <comment> & more\n";

    void WriteFolder()
    {
        // A results folder as gfe sweep run leaves it: runs.csv, curves.csv and manifest.json.
        File.WriteAllText(Path.Combine(directory, "runs.csv"), string.Join("\r\n",
            "key,method,dataset,trainSize,seed,lr,state,testLoss.AE,testLoss.GFE-amd",
            "a0,ae,mnist,480,0,0.001,completed,0.30,",
            "a1,ae,mnist,480,1,0.001,completed,0.32,",
            "g0,gfe-amd,mnist,480,0,0.001,completed,,0.25",
            "g1,gfe-amd,mnist,480,1,0.001,completed,,0.26",
            "a2,ae,mnist,4800,0,0.001,completed,0.20,",
            "a3,ae,mnist,4800,1,0.001,completed,0.21,",
            "g2,gfe-amd,mnist,4800,0,0.001,completed,,0.15",
            "g3,gfe-amd,mnist,4800,1,0.001,completed,,0.17",
            ""));
        File.WriteAllText(Path.Combine(directory, "curves.csv"),
            "key,imagesSeen,seconds,trainLoss\r\na0,0,0,0.5\r\na0,480,1,0.3\r\ng0,0,0,0.5\r\ng0,480,2,0.25\r\n");
        File.WriteAllText(Path.Combine(directory, "manifest.json"),
            $$"""{"sweep": "html", "description": "", "sweepText": {{System.Text.Json.JsonSerializer.Serialize(SweepText)}}, "machine": "test-machine"}""");
    }

    [ChromiumFact]
    public void The_page_renders_offline_in_headless_chromium_with_every_table_and_figure()
    {
        WriteFolder();
        var written = ResultsReport.Write(directory);
        var page = Path.Combine(directory, HtmlReport.File);
        var html = File.ReadAllText(page);
        // Self-contained: nothing is fetched from anywhere.
        Assert.DoesNotMatch(ExternalReference(), html);

        var dom = RenderedDom(page);

        var figures = written.Figures.Count;
        Assert.True(figures >= 3, $"{figures} figures");
        Assert.Contains($"data-figures-shown=\"{figures}\"", dom);
        Assert.Contains("<th>AE</th>", dom);
        Assert.Contains("0.3100 ± 0.0141 (n=2)", dom);           // the Table 1 cell: mean ± std
        Assert.Contains("0.3100 ± 0.1271 (n=2)", dom);           // the report: mean ± 95 % CI, t(0.975, 1) = 12.706
        Assert.Contains("GFE-amd - AE", dom);
        Assert.Contains("# a &lt;comment&gt; &amp; more", dom);  // the sweep file, as text
        Assert.Contains("test-machine", dom);                   // the provenance
    }

    static string RenderedDom(string page)
    {
        var start = new ProcessStartInfo(Chromium!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--virtual-time-budget=5000", "--dump-dom", new Uri(page).AbsoluteUri })
            start.ArgumentList.Add(argument);
        using var chromium = Process.Start(start)!;
        var output = chromium.StandardOutput.ReadToEndAsync();
        _ = chromium.StandardError.ReadToEndAsync();
        if (!chromium.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            chromium.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish rendering the page in 60 s");
        }
        return output.Result;
    }

    [GeneratedRegex("""(src|href)\s*=\s*["'](https?:|//)""", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();
}
