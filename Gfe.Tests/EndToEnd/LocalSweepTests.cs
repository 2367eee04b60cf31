using System.Globalization;
using Gfe.Client.Commands;
using Gfe.Client.Results;
using Gfe.Engine.Data;
using Gfe.Tests.Engine;
using Xunit;

namespace Gfe.Tests.EndToEnd;

/// <summary>
/// The whole path as a user runs it: `gfe sweep run` on a sweep file, with a local in-process silo, real training
/// (AE and GFE-amd) on small generated IDX files in a data directory, and the result files parsed back.
/// </summary>
public sealed class LocalSweepTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("gfe-e2e-").FullName;

    string DataDirectory => Path.Combine(root, "data");

    string ResultsDirectory => Path.Combine(root, "results");

    public LocalSweepTests()
    {
        // A tiny "mnist" as a user would drop it into the data directory: four gzip IDX files.
        var folder = Directory.CreateDirectory(Path.Combine(DataDirectory, "mnist")).FullName;
        var train = SyntheticImages.Make(120, seed: 1);
        var test = SyntheticImages.Make(40, seed: 2);
        IdxFile.WriteImages(Path.Combine(folder, DatasetLayout.TrainImagesName + ".gz"), train, gzip: true);
        IdxFile.WriteLabels(Path.Combine(folder, DatasetLayout.TrainLabelsName + ".gz"), train.Labels, gzip: true);
        IdxFile.WriteImages(Path.Combine(folder, DatasetLayout.TestImagesName + ".gz"), test, gzip: true);
        IdxFile.WriteLabels(Path.Combine(folder, DatasetLayout.TestLabelsName + ".gz"), test.Labels, gzip: true);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    (int Code, string Output, string Error) Gfe(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = new GfeCommandLine(Terminal.Plain(output, error)).InvokeAsync(args, CancellationToken.None).GetAwaiter().GetResult();
        return (code, output.ToString(), error.ToString());
    }

    string WriteSweep(string yaml)
    {
        var path = Path.Combine(root, "tiny.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    const string TinySweep = """
        name: tiny
        grid:
          method: [ae, gfe-amd]
          dataset: [mnist]
          trainSize: [32]
          seed: [0, 1]
        settings:
          testSize: 16
          batchSize: 8
          testBatchSize: 8
          amd.tau: 300
        """;

    [Fact]
    public void TinySweep_TrainsEveryRun_AndWritesTablesThatParseBack()
    {
        var sweep = WriteSweep(TinySweep);

        var (code, output, error) = Gfe("sweep", "run", sweep, "--results", ResultsDirectory, "--data-dir", DataDirectory, "--slots", "2");

        Assert.True(code == ExitCodes.Success, $"exit {code}\n{output}\n{error}");
        var folder = Path.Combine(ResultsDirectory, "tiny");
        var runs = Rows(Path.Combine(folder, ResultsWriter.RunsFile));
        Assert.Equal(4, runs.Count);
        Assert.All(runs, r => Assert.Equal("completed", r["state"].ToLowerInvariant()));
        Assert.All(runs, r => Assert.Equal("32", r["imagesSeen"]));
        Assert.All(runs, r => Assert.Equal("16", r["testImages"]));
        Assert.All(runs, r => Assert.Contains("mnist", r["dataProvenance"]));

        var ae = runs.Where(r => r["method"] == "ae").ToList();
        var gfe = runs.Where(r => r["method"] == "gfe-amd").ToList();
        Assert.Equal(2, ae.Count);
        Assert.Equal(2, gfe.Count);
        foreach (var r in ae)
        {
            Assert.InRange(Number(r["testLoss.AE"]), 1e-4, 2);
            Assert.InRange(Number(r["testLoss.Mixed"]), 1e-4, 2);
            Assert.Equal("", r["testLoss.GFE-amd"]);
        }
        foreach (var r in gfe)
        {
            Assert.InRange(Number(r["testLoss.GFE-amd"]), 1e-4, 2);
            Assert.Equal("", r["testLoss.AE"]);
            Assert.True(Number(r["trainAmd.acceptedPerSolve"]) >= 1, "AMD took accepted steps in training");
            Assert.True(Number(r["testAmd.solves"]) == 2, "16 test images in batches of 8 are two AMD solves");
        }
        // The two seeds really are different runs.
        Assert.NotEqual(gfe[0]["testLoss.GFE-amd"], gfe[1]["testLoss.GFE-amd"]);

        // The pivot: one row (mnist, 32), each cell the mean and sample std of the two seeds.
        var table = Rows(Path.Combine(folder, ResultsWriter.TableCsvFile));
        var row = Assert.Single(table);
        Assert.Equal("mnist", row["dataset"]);
        Assert.Equal("32", row["trainSize"]);
        foreach (var (evaluation, source) in new[] { ("AE", ae), ("Mixed", ae), ("GFE-amd", gfe) })
        {
            var values = source.Select(r => Number(r[$"testLoss.{evaluation}"])).ToArray();
            double mean = values.Average();
            double std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
            Assert.Equal(mean, Number(row[$"{evaluation}.mean"]), 1e-9);
            Assert.Equal(std, Number(row[$"{evaluation}.std"]), 1e-9);
            Assert.Equal("2", row[$"{evaluation}.n"]);
        }

        var markdown = File.ReadAllText(Path.Combine(folder, ResultsWriter.TableMarkdownFile));
        Assert.Contains("| mnist | 32 |", markdown);
        Assert.Contains("(n=2)", markdown);

        var curves = Rows(Path.Combine(folder, ResultsWriter.CurvesFile));
        Assert.Equal(4 * 4, curves.Count); // 32 images in batches of 8: four points per run
        Assert.True(File.Exists(Path.Combine(folder, ResultsWriter.ManifestFile)));
    }

    [Fact]
    public void ATrainSizeLargerThanTheDataOnDisk_Exits2_BeforeAnythingRuns()
    {
        // 120 training images on disk (112 after the 8 validation images), far fewer than MNIST's nominal 49,992.
        var sweep = WriteSweep(TinySweep.Replace("trainSize: [32]", "trainSize: [500]"));

        var (code, _, error) = Gfe("sweep", "run", sweep, "--results", ResultsDirectory, "--data-dir", DataDirectory);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("trainSize 500 is larger than the 112 training images of mnist", error);
        Assert.False(File.Exists(Path.Combine(ResultsDirectory, "tiny", ResultsWriter.RunsFile)));
    }

    static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    static List<Dictionary<string, string>> Rows(string csvPath)
    {
        var rows = CsvReader.ReadFile(csvPath);
        var header = rows[0];
        return rows.Skip(1).Select(r => header.Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
    }
}
