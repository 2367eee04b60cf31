using Gfe.Client.Results;
using Gfe.Engine.Data.Files;
using Xunit;

namespace Gfe.Tests.Client;

public sealed class LatentAnalysisTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("gfe-latents-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    static SampleArray Latents(double[,] z) =>
        new(Enumerable.Range(0, z.GetLength(0)).SelectMany(i => Enumerable.Range(0, z.GetLength(1)).Select(k => (float)z[i, k])).ToArray(),
            [z.GetLength(0), z.GetLength(1)], "float32", "test");

    [Fact]
    public void ALabelThatIsALinearFunctionOfTheCodes_HasCorrelationOne_AndNoiseLittle()
    {
        var random = new Random(1);
        int m = 400;
        var z = new double[m, 5];
        for (int i = 0; i < m; i++) for (int k = 0; k < 5; k++) z[i, k] = random.NextDouble() * 2 - 1;
        var linear = Enumerable.Range(0, m).Select(i => 3 * z[i, 1] - 2 * z[i, 4] + 0.5).ToArray();
        Assert.Equal(1, LatentAnalysis.FitCorrelation(Latents(z), linear), 6);

        // |y| of a symmetric label is not linear in the codes: the fit finds (almost) nothing.
        var symmetric = Enumerable.Range(0, m).Select(i => Math.Abs(z[i, 2])).ToArray();
        Assert.True(LatentAnalysis.FitCorrelation(Latents(z), symmetric) < 0.25);
        var noise = Enumerable.Range(0, m).Select(_ => random.NextDouble()).ToArray();
        Assert.True(LatentAnalysis.FitCorrelation(Latents(z), noise) < 0.25);
    }

    /// <summary>An Ising-like results folder: runs.csv with two runs on a declared dataset and one on mnist, and per
    /// run M = 300 test codes (d = 3) with labels [temperature, magnetisation]. Run "tracks" has code 0 = m + small
    /// noise (a latent that tracks the magnetisation, as Wetzel 2017 finds); run "blind" has codes unrelated to both.</summary>
    void WriteIsingLikeFolder()
    {
        File.WriteAllText(Path.Combine(directory, "runs.csv"), string.Join("\r\n",
            "key,method,dataset,trainSize,seed,state,testLoss.AE,testLoss.GFE-amd",
            "tracks,gfe-amd,spins,240,0,completed,,0.2",
            "blind,ae,spins,240,0,completed,0.4,",
            "digits,ae,mnist,240,0,completed,0.3,",
            ""));
        File.WriteAllText(Path.Combine(directory, "curves.csv"), "key,imagesSeen,seconds,trainLoss\r\ntracks,0,0,0.5\r\ntracks,240,1,0.3\r\n");
        var latents = Path.Combine(directory, ModelFolders.LatentsFolder);
        Directory.CreateDirectory(latents);
        var random = new Random(4);
        const int m = 300;
        var labels = new float[m * 2];
        for (int i = 0; i < m; i++)
        {
            double t = 1.5 + 2.0 * i / m;
            double magnitude = t < 2.27 ? Math.Pow(1 - Math.Pow(Math.Sinh(2 / t), -4), 0.125) : 0.05 * random.NextDouble();
            labels[i * 2] = (float)t;
            labels[i * 2 + 1] = (float)(random.Next(2) == 0 ? magnitude : -magnitude);
        }
        // The run "tracks" kept its model, whose model.json names the label columns (as a declaration's labelNames).
        Directory.CreateDirectory(Path.Combine(directory, ModelFolders.FolderName, "tracks"));
        File.WriteAllText(Path.Combine(directory, ModelFolders.FolderName, "tracks", "model.json"), """{"labelNames": ["temperature", "magnetisation"]}""");
        foreach (var key in new[] { "tracks", "blind", "digits" })
        {
            var z = new float[m * 3];
            for (int i = 0; i < m; i++)
            {
                z[i * 3] = key == "tracks" ? labels[i * 2 + 1] + 0.02f * (float)random.NextDouble() : (float)random.NextDouble();
                z[i * 3 + 1] = (float)random.NextDouble();
                z[i * 3 + 2] = (float)random.NextDouble();
            }
            NpyFile.Write(Path.Combine(latents, key + ".npy"), z, [m, 3]);
            NpyFile.Write(Path.Combine(latents, key + ".labels.npy"), labels, [m, 2]);
        }
    }

    [Fact]
    public void TheReport_DrawsLatentsAgainstEachLabel_AndPrintsTheCorrelations_InReportMdAndHtml()
    {
        WriteIsingLikeFolder();

        var written = ResultsReport.Write(directory);

        // Per run on the declared dataset and label column, one figure, a real PNG; none for the built-in mnist.
        var latents = Path.Combine(directory, ModelFolders.LatentsFolder);
        string[] expected = ["blind.label0.png", "blind.label1.png", "tracks.label0.png", "tracks.label1.png"];
        Assert.Equal(expected, Directory.GetFiles(latents, "*.png").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var name in expected)
        {
            Assert.Contains(Path.Combine(latents, name), written.Figures);
            using var bitmap = SkiaSharp.SKBitmap.Decode(Path.Combine(latents, name));
            Assert.Equal((ReportFigure.Width, ReportFigure.Height), (bitmap.Width, bitmap.Height));
        }

        // The correlations: the run whose code tracks m reads m off one direction (r near 1); the blind run stays
        // near chance for m and |m|; the report's r for |m| is the same fit as LatentAnalysis's.
        var tracks = written.Latents.Where(r => r.Key == "tracks").ToDictionary(r => r.Label);
        var blind = written.Latents.Where(r => r.Key == "blind").ToDictionary(r => r.Label);
        Assert.True(tracks[1].R > 0.99, $"r(m) {tracks[1].R}");
        Assert.True(blind[1].R < 0.3 && blind[1].RAbs < 0.3, $"blind r(m) {blind[1].R}, r(|m|) {blind[1].RAbs}");
        Assert.Equal(LatentAnalysis.FitCorrelation(NpyFile.Read(Path.Combine(latents, "tracks.npy")),
            [.. NpyFile.Read(Path.Combine(latents, "tracks.labels.npy")).Values.Where((_, i) => i % 2 == 1).Select(v => (double)Math.Abs(v))]),
            tracks[1].RAbs, 12);

        // report.md has the section with the table and the figure list, parsed back; the page inlines the figures.
        var report = File.ReadAllText(Path.Combine(directory, SearchReportWriter.ReportFile));
        var section = report[report.IndexOf("## Latent codes against labels", StringComparison.Ordinal)..];
        Assert.Contains("sqrt(d / M) = 0.10 here (d = 3 codes, M = 300 test samples)", section);
        var row = section.Split('\n').Single(l => l.StartsWith("| gfe-amd | 240 | magnetisation |", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);
        Assert.Contains("| ae | 240 | 1 |", section);   // the blind run's model is not in the folder: columns by number
        Assert.Equal(tracks[1].R, double.Parse(row[4], System.Globalization.CultureInfo.InvariantCulture), 3);
        Assert.Equal(tracks[1].RAbs, double.Parse(row[5], System.Globalization.CultureInfo.InvariantCulture), 3);
        foreach (var name in expected) Assert.Contains($"- latents/{name}", section);
        Assert.Equal("magnetisation", written.Latents.Single(r => r.Key == "tracks" && r.Label == 1).LabelName);
        var html = File.ReadAllText(Path.Combine(directory, HtmlReport.File));
        Assert.Contains("Latent codes against labels", html);
        foreach (var name in expected) Assert.Contains($"<figcaption>latents/{name}</figcaption>", html);

        // Written again (gfe report): the same figures, and the section once.
        ResultsReport.Write(directory);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(Path.Combine(directory, SearchReportWriter.ReportFile)), "## Latent codes"));
        Assert.Equal(expected.Length, Directory.GetFiles(latents, "*.png").Length);
    }
}
