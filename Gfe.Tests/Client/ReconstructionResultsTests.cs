using Gfe.Abstractions;
using Gfe.Client.Commands;
using Gfe.Client.Results;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Gfe.Engine.Runs;
using SkiaSharp;
using Xunit;

namespace Gfe.Tests.Client;

/// <summary>reconstructions.csv: the pixels of Figure 3 written by a sweep, read back, and redrawn by <c>gfe report</c>
/// without the cluster.</summary>
public sealed class ReconstructionResultsTests : IDisposable
{
    const int Images = 2;
    readonly string directory = Path.Combine(Path.GetTempPath(), $"gfe-reconstructions-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    /// <summary>Pixels with a pattern that survives 4 decimals only if each value lands in its own place.</summary>
    static float[] Pattern(int offset) =>
        Enumerable.Range(0, Images * 784).Select(i => (i * 37 + offset) % 1001 / 1000f).ToArray();

    static RunOutcome Outcome(ReconstructionSample sample) => new(
        sample.Reconstructed.Keys.ToDictionary(e => e, _ => 0.2), 0.25, 480, 10,
        new AmdSummary(0, 0, 0, 0, 0), new AmdSummary(1, 9, 0, 0, 2), 1.5, 0.5, [], "synthetic", "cpu", null, sample);

    /// <summary>A finished sweep of an AE run (AE and Mixed rows) and a GFE-amd run (its own row) on mnist/480.</summary>
    (SweepFile Sweep, SweepOutcome Outcome) FinishedSweep()
    {
        var sweep = SweepFileParser.Parse("name: figure\ngrid:\n  method: [ae, gfe-amd]\n  trainSize: [480]\n", "figure.yaml");
        var samples = new Dictionary<string, ReconstructionSample>
        {
            ["ae"] = new(Pattern(0), new() { [Evaluations.Ae] = Pattern(1), [Evaluations.Mixed] = Pattern(2) }),
            ["gfe-amd"] = new(Pattern(0), new() { [Evaluations.GfeAmd] = Pattern(3) }),
        };
        var runs = sweep.Runs.Select(run => new RunRecord(run,
            new RunStatus(run.Key, RunState.Completed, "done", 1, 480, 0.25, "silo", null,
                Outcome(samples[RunParameters.ToList(run.Config).First(kv => kv.Key == "method").Value]), null, null))).ToList();
        var time = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        return (sweep, new SweepOutcome(runs, false, time, time));
    }

    static (int Code, string Error) Report(string folder)
    {
        var error = new StringWriter();
        var code = new GfeCommandLine(Terminal.Plain(new StringWriter(), error)).InvokeAsync(["report", folder], CancellationToken.None).GetAwaiter().GetResult();
        return (code, error.ToString());
    }

    static byte[] Greys(string png)
    {
        using var picture = SKBitmap.Decode(png);
        Assert.NotNull(picture);
        return Enumerable.Range(0, picture.Height).SelectMany(y => Enumerable.Range(0, picture.Width).Select(x => picture.GetPixel(x, y).Red)).ToArray();
    }

    [Fact]
    public void ReconstructionsCsv_ReadsBackEveryPixel_ToFourDecimals()
    {
        var (sweep, outcome) = FinishedSweep();
        ResultsWriter.Write(directory, sweep, outcome);

        var read = ReconstructionsCsv.Read(Path.Combine(directory, ResultsWriter.ReconstructionsFile));

        Assert.Equal(outcome.Runs.Select(r => r.Run.Key), read.Select(r => r.Key));
        foreach (var ((_, status), (_, sample)) in outcome.Runs.Zip(read))
        {
            var written = status.Outcome!.Reconstructions!;
            Assert.Equal(written.Reconstructed.Keys.Order(), sample.Reconstructed.Keys.Order());
            foreach (var (expected, actual) in new[] { (written.Originals, sample.Originals) }
                         .Concat(written.Reconstructed.Select(r => (r.Value, sample.Reconstructed[r.Key]))))
            {
                Assert.Equal(expected.Length, actual.Length);
                for (int i = 0; i < expected.Length; i++)
                    Assert.True(Math.Abs(expected[i] - actual[i]) <= 5e-5f, $"pixel {i}: wrote {expected[i]}, read {actual[i]}");
            }
        }
    }

    [Fact]
    public void Report_RedrawsTheReconstructionPictures_FromTheCsvAlone()
    {
        var (sweep, outcome) = FinishedSweep();
        ResultsWriter.Write(directory, sweep, outcome);
        var folder = Path.Combine(directory, ResultsWriter.ReconstructionsFolder);
        var drawn = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToDictionary(f => Path.GetFileName(f), Greys);
        Assert.Equal(3, drawn.Count);   // two runs and one Figure 3
        Directory.Delete(folder, recursive: true);

        var (code, error) = Report(directory);

        Assert.Equal((ExitCodes.Success, ""), (code, error));
        var redrawn = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToDictionary(f => Path.GetFileName(f), Greys);
        Assert.Equal(drawn.Keys, redrawn.Keys);
        foreach (var (file, greys) in drawn)
            Assert.True(greys.SequenceEqual(redrawn[file]), $"{file} differs after the redraw");
    }

    [Fact]
    public void Figure3_StacksTheOriginalsAndEveryMethodsReconstructions_WithTheirNames()
    {
        var (sweep, outcome) = FinishedSweep();
        ResultsWriter.Write(directory, sweep, outcome);

        using var figure = SKBitmap.Decode(Path.Combine(directory, ResultsWriter.ReconstructionsFolder, "figure3.n480.png"));

        // mnist: original, AE, GFE-amd, Mixed; the grid sits right of the names.
        var (gridWidth, gridHeight) = ReconstructionPicture.Size(Images, 4, ReconstructionPicture.Mnist);
        Assert.Equal(gridHeight, figure.Height);
        int labels = figure.Width - gridWidth;
        Assert.True(labels > 50, $"no room for the row names: {labels} px");
        Assert.Contains(Enumerable.Range(0, labels).SelectMany(x => Enumerable.Range(0, figure.Height).Select(y => figure.GetPixel(x, y).Red)), v => v < 100);
        // Row 3 (GFE-amd, Pattern(3)) first image, pixel 0 drawn at 2x2 after the gaps: value 3/1000 -> grey 1.
        int top = ReconstructionPicture.Gap + 2 * (56 + ReconstructionPicture.Gap);
        Assert.Equal((byte)Math.Round(0.003 * 255), figure.GetPixel(labels + ReconstructionPicture.Gap, top).Red);
        // Row 2 (AE, Pattern(1)) pixel 1: (37 + 1) / 1000 -> grey 10.
        top = ReconstructionPicture.Gap + 1 * (56 + ReconstructionPicture.Gap);
        Assert.Equal((byte)Math.Round(0.038 * 255), figure.GetPixel(labels + ReconstructionPicture.Gap + 2, top).Red);
    }

    [Fact]
    public void Report_OnAMalformedReconstructionsCsv_NamesRowAndColumn_AndExitsWith2()
    {
        var (sweep, outcome) = FinishedSweep();
        ResultsWriter.Write(directory, sweep, outcome);
        var path = Path.Combine(directory, ResultsWriter.ReconstructionsFile);
        var lines = File.ReadAllLines(path);
        var fields = lines[3].Split(',');
        fields[4 + 5] = "abc";   // key, row, image, shape, then p0..
        lines[3] = string.Join(",", fields);
        File.WriteAllLines(path, lines);

        var (code, error) = Report(directory);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains($"{path}: row 4, column 'p5': 'abc' is not a number", error);
    }

    [Fact]
    public void ReconstructionsCsv_KeepsSamplesOfAnyShape_AndRealValues_InOneFile()
    {
        var curve = new ReconstructionSample([1.5f, -2.25f, 3f, 0.5f, 7f, -1f], new() { ["GFE-amd"] = [1.25f, -2f, 3f, 0.5f, 6.5f, -1f] }, [3]);
        var image = new ReconstructionSample(Enumerable.Range(0, 784).Select(i => i / 784f).ToArray(),
            new() { ["AE"] = Enumerable.Range(0, 784).Select(i => 1 - i / 784f).ToArray() });
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "shapes.csv");

        ReconstructionsCsv.Write(path, [("curves", curve), ("images", image)]);
        var read = ReconstructionsCsv.Read(path).ToDictionary(r => r.Key, r => r.Sample);

        Assert.Equal([3], read["curves"].Shape);
        Assert.Equal(2, read["curves"].Count);
        Assert.Equal(curve.Originals, read["curves"].Originals);
        Assert.Equal(curve.Reconstructed["GFE-amd"], read["curves"].Reconstructed["GFE-amd"]);
        Assert.Equal([28, 28], read["images"].Shape);
        Assert.Equal(image.Originals.Select(v => MathF.Round(v, 4)), read["images"].Originals);
    }

    [Fact]
    public void ReconstructionsCsv_WithAMissingImage_IsRefused()
    {
        var (sweep, outcome) = FinishedSweep();
        ResultsWriter.Write(directory, sweep, outcome);
        var path = Path.Combine(directory, ResultsWriter.ReconstructionsFile);
        var lines = File.ReadAllLines(path).ToList();
        lines.RemoveAt(4);   // the second AE image of the first run
        File.WriteAllLines(path, lines);

        var e = Assert.Throws<ResultsFileException>(() => ReconstructionsCsv.Read(path));

        Assert.Contains("every row needs images 0 to 1", e.Message);
    }
}
