using Gfe.Abstractions;
using Gfe.Client.Results;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Gfe.Engine.Runs;
using SkiaSharp;
using Xunit;

namespace Gfe.Tests.Client;

/// <summary>Evaluation curves in curves.csv and reconstruction pictures, as the client writes them.</summary>
public sealed class EvalResultsTests : IDisposable
{
    readonly string directory = Path.Combine(Path.GetTempPath(), $"gfe-eval-results-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    static RunOutcome Outcome(List<EvalSample>? evalCurve, ReconstructionSample? reconstructions) => new(
        new() { [Evaluations.Ae] = 0.1, [Evaluations.Mixed] = 0.2 }, 0.25, 32, 10,
        new AmdSummary(0, 0, 0, 0, 0), new AmdSummary(3, 9, 1, 0, 3), 1.5, 0.5,
        [new CurveSample(16, 0.5, 0.9), new CurveSample(32, 1.0, 0.7)], "synthetic", "cpu", evalCurve, reconstructions);

    static (SweepFile, SweepOutcome) Sweep(RunOutcome outcome)
    {
        var sweep = SweepFileParser.Parse("name: curves\ngrid:\n  method: [ae]\n  seed: [0, 1]\n", "curves.yaml");
        var runs = sweep.Runs.Select((run, i) => new RunRecord(run, i == 0
            ? new RunStatus(run.Key, RunState.Completed, "done", 1, 32, 0.25, "silo", null, outcome, null, null)
            : RunRecord.Unsubmitted(run.Key))).ToList();
        var time = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        return (sweep, new SweepOutcome(runs, false, time, time));
    }

    [Fact]
    public void CurvesCsv_InterleavesEvaluationRows_WithATestLossColumnPerEvaluation()
    {
        var evalCurve = new List<EvalSample>
        {
            new(0, 0, new() { [Evaluations.Mixed] = 0.6, [Evaluations.Ae] = 0.7 }),
            new(32, 1.0, new() { [Evaluations.Mixed] = 0.2, [Evaluations.Ae] = 0.1 }),
        };
        var (sweep, outcome) = Sweep(Outcome(evalCurve, null));

        ResultsWriter.Write(directory, sweep, outcome);

        var rows = CsvReader.ReadFile(Path.Combine(directory, ResultsWriter.CurvesFile));
        Assert.Equal(["key", "imagesSeen", "seconds", "trainLoss", "testLoss.AE", "testLoss.Mixed"], rows[0]);
        Assert.Equal(["0", "0", "", "0.7", "0.6"], rows[1][1..]);
        Assert.Equal(["16", "0.5", "0.9", "", ""], rows[2][1..]);
        Assert.Equal(["32", "1", "0.7", "", ""], rows[3][1..]);
        Assert.Equal(["32", "1", "", "0.1", "0.2"], rows[4][1..]);
        Assert.Equal(5, rows.Count);
        Assert.False(Directory.Exists(Path.Combine(directory, ResultsWriter.ReconstructionsFolder)));
    }

    [Fact]
    public void ReconstructionPng_IsWritten_AndDecodesToTheGrid()
    {
        const int images = 3;
        var originals = new float[images * 784];
        originals[0] = 1f;                      // top-left pixel of the first original: white
        var ae = Enumerable.Repeat(0.5f, images * 784).ToArray();
        var mixed = new float[images * 784];
        mixed[2 * 784 + 783] = 1f;              // bottom-right pixel of the last Mixed reconstruction: white
        var sample = new ReconstructionSample(originals, new() { [Evaluations.Mixed] = mixed, [Evaluations.Ae] = ae });
        var (sweep, outcome) = Sweep(Outcome(null, sample));

        ResultsWriter.Write(directory, sweep, outcome);

        var path = Path.Combine(directory, ResultsWriter.ReconstructionsFolder, outcome.Runs[0].Run.Key + ".png");
        using var picture = SKBitmap.Decode(path);
        Assert.NotNull(picture);
        var (width, height) = ReconstructionPicture.Size(images, 3, ReconstructionPicture.Mnist);
        Assert.Equal((width, height), (picture.Width, picture.Height));
        Assert.Equal(3 * 56 + 4 * 2, width);
        Assert.Equal(["original", Evaluations.Ae, Evaluations.Mixed], ReconstructionPicture.RowNames(sample));
        byte Grey(int x, int y) => picture.GetPixel(x, y).Red;
        Assert.Equal(128, Grey(0, 0));                                  // the gap
        Assert.Equal((255, 255, 0), (Grey(2, 2), Grey(3, 3), Grey(4, 2)));   // the first pixel, drawn 2x2
        Assert.Equal(128, Grey(2, 2 + 56 + 2 + 10));                    // AE row: 0.5 grey
        Assert.Equal(255, Grey(width - 3, height - 3));                 // Mixed row, last image, last pixel
        Assert.Equal(0, Grey(width - 5, height - 3));
        // The run's own picture and the Figure 3 of its training-set size.
        Assert.Equal(
            [outcome.Runs[0].Run.Key + ".png", "figure3.n480.png"],
            Directory.GetFiles(Path.Combine(directory, ResultsWriter.ReconstructionsFolder)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
