using System.Globalization;
using Gfe.Client.Commands;
using Gfe.Client.Results;
using SkiaSharp;
using Xunit;

namespace Gfe.Tests.Client;

/// <summary><c>gfe report</c> on a hand-made results folder: the tables it parses back, the figures it draws, and
/// the messages and exit codes for missing or malformed files.</summary>
public sealed class ResultsReportTests : IDisposable
{
    readonly string directory = Path.Combine(Path.GetTempPath(), $"gfe-report-{Guid.NewGuid():N}");

    public ResultsReportTests() => Directory.CreateDirectory(directory);

    public void Dispose()
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    // Two seeds of AE and GFE-amd on mnist/480, one failed GFE-amd run (must not count) and an AE run at 960.
    // AE/480: AE 0.3, 0.5 -> 0.4 ± sqrt(0.02); Mixed 0.25, 0.25 -> 0.25 ± 0. GFE-amd/480: 0.2 (n=1).
    const string Runs = """
        key,method,dataset,trainSize,seed,lr,state,testLoss.AE,testLoss.GFE-amd,testLoss.Mixed,finalTrainLoss,error
        a0,ae,mnist,480,0,0.0005,completed,0.3,,0.25,0.4,
        a1,ae,mnist,480,1,0.0005,completed,0.5,,0.25,0.4,
        g0,gfe-amd,mnist,480,0,0.0005,completed,,0.2,,0.3,
        g1,gfe-amd,mnist,480,1,0.0005,failed,,9,,,"diverged, ""NaN"" at batch 3"
        b0,ae,mnist,960,0,0.0005,completed,0.1,,0.09,0.2,
        """;

    // a0 and a1 share the points at 16 and 32 images (a1 stops early at 32): the mean line has two points.
    const string Curves = """
        key,imagesSeen,seconds,trainLoss,testLoss.AE,testLoss.GFE-amd,testLoss.Mixed
        a0,16,1,0.8,,,
        a0,32,2,0.6,,,
        a0,32,2,,0.5,,0.45
        a0,48,3,0.5,,,
        a1,16,3,0.6,,,
        a1,32,4,0.4,,,
        a1,32,4,,0.3,,0.25
        g0,16,10,0.5,,,
        g0,16,10,,,0.35,
        g0,32,20,0.3,,,
        """;

    void WriteFolder(string runs = Runs, string curves = Curves)
    {
        File.WriteAllText(Path.Combine(directory, ResultsWriter.RunsFile), runs.ReplaceLineEndings("\r\n"));
        File.WriteAllText(Path.Combine(directory, ResultsWriter.CurvesFile), curves.ReplaceLineEndings("\r\n"));
    }

    static (int Code, string Output, string Error) Gfe(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = new GfeCommandLine(Terminal.Plain(output, error)).InvokeAsync(args, CancellationToken.None).GetAwaiter().GetResult();
        return (code, output.ToString(), error.ToString());
    }

    static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    [Fact]
    public void Report_WritesThePivotOfCompletedRuns_AsTableCsvAndMarkdown()
    {
        WriteFolder();

        var (code, _, error) = Gfe("report", directory);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal("", error);
        var table = CsvReader.ReadFile(Path.Combine(directory, ResultsWriter.TableCsvFile));
        Assert.Equal(
            ["dataset", "trainSize", "AE.mean", "AE.std", "AE.n", "GFE-amd.mean", "GFE-amd.std", "GFE-amd.n", "Mixed.mean", "Mixed.std", "Mixed.n"],
            table[0]);
        Assert.Equal(3, table.Count);
        var small = table[0].Zip(table[1]).ToDictionary(p => p.First, p => p.Second);
        Assert.Equal(("mnist", "480"), (small["dataset"], small["trainSize"]));
        Assert.Equal(0.4, Parse(small["AE.mean"]), 12);
        Assert.Equal(Math.Sqrt(0.02), Parse(small["AE.std"]), 12);
        Assert.Equal("2", small["AE.n"]);
        Assert.Equal(0.2, Parse(small["GFE-amd.mean"]), 12);
        Assert.Equal(("", "1"), (small["GFE-amd.std"], small["GFE-amd.n"]));
        Assert.Equal(0.25, Parse(small["Mixed.mean"]), 12);
        Assert.Equal(["mnist", "960", "0.1", "", "1", "", "", "", "0.09", "", "1"], table[2]);

        var markdown = File.ReadAllLines(Path.Combine(directory, ResultsWriter.TableMarkdownFile));
        Assert.Equal("# " + Path.GetFileName(directory), markdown[0]);
        Assert.Contains("| mnist | 480 | 0.4000 ± 0.1414 (n=2) | 0.2000 (n=1) | 0.2500 ± 0.0000 (n=2) |", markdown);
    }

    [Fact]
    public void Report_DrawsTrainAndEvaluationFigures_PerDatasetAndTrainSize()
    {
        WriteFolder();

        var (code, output, _) = Gfe("report", directory);

        Assert.Equal(ExitCodes.Success, code);
        var plots = Path.Combine(directory, CurveFigures.Folder);
        // b0 (mnist/960) has no curve points, so it gets no curve figures; the data-efficiency figure spans both sizes.
        Assert.Equal(
            ["mnist.data-efficiency.png", "mnist.n480.test-loss-vs-images.png", "mnist.n480.test-loss-vs-seconds.png", "mnist.n480.train-loss-vs-images.png", "mnist.n480.train-loss-vs-seconds.png"],
            Directory.GetFiles(plots).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var file in Directory.GetFiles(plots))
        {
            Assert.Contains(file, output);
            using var picture = SKBitmap.Decode(file);
            Assert.NotNull(picture);
            Assert.Equal((LineChart.Width, LineChart.Height), (picture.Width, picture.Height));
            // The first line is blue (the palette's first colour): some strongly blue pixel must be drawn.
            Assert.Contains(Enumerable.Range(0, picture.Height).SelectMany(y => Enumerable.Range(0, picture.Width).Select(x => picture.GetPixel(x, y))),
                c => c.Blue > 150 && c.Red < 80);
        }
    }

    [Fact]
    public void MeanOverSeeds_AveragesOnlyThePointsEverySeedRecorded()
    {
        var points = CurvesCsv.Read(WriteCurvesOnly());
        var ae = new[] { "a0", "a1" }.Select(key => (IReadOnlyList<CurvePoint>)points.Where(p => p.Key == key).ToList()).ToList();

        var train = CurveFigures.MeanOverSeeds(ae, p => p.TrainLoss);
        var test = CurveFigures.MeanOverSeeds(ae, p => p.TestLoss.TryGetValue("Mixed", out var loss) ? loss : null);

        Assert.Equal(2, train.Count);   // 48 images: only a0 got there
        Assert.Equal((16.0, 2.0, 0.7), (train[0].Images, train[0].Seconds, Math.Round(train[0].Loss, 12)));
        Assert.Equal((32.0, 3.0, 0.5), (train[1].Images, train[1].Seconds, Math.Round(train[1].Loss, 12)));
        Assert.Equal((32.0, 0.35), (test.Single().Images, Math.Round(test.Single().Loss, 12)));
    }

    string WriteCurvesOnly()
    {
        var path = Path.Combine(directory, ResultsWriter.CurvesFile);
        File.WriteAllText(path, Curves);
        return path;
    }

    [Fact]
    public void Report_OnAMalformedRunsCsv_NamesFileRowAndColumn_AndExitsWith2()
    {
        WriteFolder(runs: Runs.Replace("completed,0.3,", "completed,zero point three,"));

        var (code, _, error) = Gfe("report", directory);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains($"{Path.Combine(directory, ResultsWriter.RunsFile)}: row 2, column 'testLoss.AE': 'zero point three' is not a number", error);
        Assert.DoesNotContain(" at ", error);   // no stack trace
        Assert.False(File.Exists(Path.Combine(directory, ResultsWriter.TableCsvFile)));
    }

    [Fact]
    public void Report_OnARowWithTooFewFields_OrAForeignCsv_ExitsWith2()
    {
        WriteFolder(runs: Runs.Replace("b0,ae,mnist,960,0,0.0005,completed,0.1,,0.09,0.2,", "b0,ae,mnist"));
        var (code, _, error) = Gfe("report", directory);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("row 6: 3 fields, but the header has 12", error);

        WriteFolder(runs: "name,value\r\nx,1\r\n");
        (code, _, error) = Gfe("report", directory);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("missing column(s) key, method, dataset, trainSize, seed, state", error);
    }

    [Fact]
    public void Report_OnAMissingFolderOrFile_ExitsWith3()
    {
        var (code, _, error) = Gfe("report", Path.Combine(directory, "nowhere"));
        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.Contains("no such results folder", error);

        File.WriteAllText(Path.Combine(directory, ResultsWriter.RunsFile), Runs);
        (code, _, error) = Gfe("report", directory);
        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.Contains($"{Path.Combine(directory, ResultsWriter.CurvesFile)}: not found", error);
    }

    [Fact]
    public void Ticks_AreRoundNumbersCoveringTheRange()
    {
        Assert.Equal([0, 0.2, 0.4, 0.6000000000000001, 0.8, 1], LineChart.Ticks(0, 1));
        Assert.Equal([0, 2000, 4000, 6000], LineChart.Ticks(0, 5760));
        var ticks = LineChart.Ticks(0.093, 0.268);
        Assert.True(ticks[0] <= 0.093 && ticks[^1] >= 0.268);
        Assert.Equal(0.05, ticks[1] - ticks[0], 12);
    }
}
