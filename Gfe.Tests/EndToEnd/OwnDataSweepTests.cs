using System.Globalization;
using Gfe.Client.Commands;
using Gfe.Client.Results;
using Gfe.Engine.Artifacts;
using Gfe.Engine.Data.Files;
using Xunit;

namespace Gfe.Tests.EndToEnd;

/// <summary>
/// A researcher's own data through the real command line: a generated 1-D real-valued dataset (smooth curves of 784
/// points) in a .npy file, declared with `gfe data add` or in the sweep file's datasets: section, swept with AE and
/// GFE-amd, and runs.csv and the saved models read back; and the bad inputs with their exit codes.
/// </summary>
public sealed class OwnDataSweepTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("gfe-own-").FullName;

    string DataDirectory => Path.Combine(root, "data");

    public void Dispose() => Directory.Delete(root, recursive: true);

    (int Code, string Output, string Error) Gfe(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = new GfeCommandLine(Terminal.Plain(output, error)).InvokeAsync(args, CancellationToken.None).GetAwaiter().GetResult();
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>N curves 0.5 + 0.4 sin(a x + b), x over 784 points, stored as float64; the phase b is the label.</summary>
    string WriteCurves(int n)
    {
        var random = new Random(5);
        var values = new double[n * 784];
        var phases = new double[n];
        for (int i = 0; i < n; i++)
        {
            double a = 2 + 4 * random.NextDouble();
            phases[i] = 6.283 * random.NextDouble();
            for (int x = 0; x < 784; x++) values[i * 784 + x] = 0.5 + 0.4 * Math.Sin(a * x / 784.0 * 6.283 + phases[i]);
        }
        var path = Path.Combine(root, "curves.npy");
        using (var file = File.Create(path)) NpyFile.Write(file, values, [n, 784]);
        using (var file = File.Create(Path.Combine(root, "phases.npy"))) NpyFile.Write(file, phases, [n]);
        return path;
    }

    [Fact]
    public void DeclaredInTheSweepFile_SweepsThroughTheCli_WithModelsAndProvenance()
    {
        WriteCurves(60);
        var sweep = Path.Combine(root, "curves.yaml");
        File.WriteAllText(sweep, """
            name: curves
            datasets:
              curves:
                description: smooth curves
                train: curves.npy
                testFraction: 0.25
                seed: 1
                labels: phases.npy
                labelNames: [phase]
            grid:
              method: [ae, gfe-amd]
              dataset: [curves]
              trainSize: [16]
            settings:
              testSize: 0
              batchSize: 8
              z0: zero
              latents: true
              reconstructions: 3
            """);

        var (code, output, error) = Gfe("sweep", "run", sweep, "--data-dir", DataDirectory, "--results", Path.Combine(root, "results"));

        Assert.True(code == 0, output + error);
        var results = Path.Combine(root, "results", "curves");
        var table = CsvReader.ReadFile(Path.Combine(results, ResultsWriter.RunsFile));
        var runs = (Rows: table.Skip(1).Select(r => table[0].Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList(), 0);
        Assert.Equal(2, runs.Rows.Count);
        Assert.All(runs.Rows, row => Assert.Equal("completed", row["state"]));
        Assert.All(runs.Rows, row => Assert.Contains("curves from train curves.npy [60x784 float64] sha256:", row["dataProvenance"]));
        Assert.All(runs.Rows, row => Assert.Contains("test 15 of 60 (testFraction 0.25, seed 1)", row["dataProvenance"]));
        Assert.True(File.Exists(DatasetDeclaration.PathIn(DataDirectory, "curves")));

        foreach (var row in runs.Rows)
        {
            var model = ModelArtifact.Load(Path.Combine(results, ModelFolders.FolderName, row["key"]));
            Assert.Equal(row["key"], model.RunKey);
            Assert.Equal([784], model.SampleShape);
            Assert.Equal([20, 150, 300, 600, 784], TrainedModel.Widths(model.Model.Decoder));
            Assert.Equal(row["method"] == "ae", model.Model.Encoder is not null);
            Assert.Equal(["phase"], model.LabelNames);
            var loss = double.Parse(row["method"] == "ae" ? row["testLoss.AE"] : row["testLoss.GFE-amd"], CultureInfo.InvariantCulture);
            Assert.Equal(loss, model.TestLoss.Values.First(), 12);

            // latents: true kept the 15 test codes, their losses (whose mean is the run's test loss) and the phases.
            var latents = NpyFile.Read(Path.Combine(results, ModelFolders.LatentsFolder, row["key"] + ".npy"));
            Assert.Equal([15, 20], latents.Shape);
            var losses = NpyFile.Read(Path.Combine(results, ModelFolders.LatentsFolder, row["key"] + ".losses.npy"));
            Assert.Equal(loss, losses.Values.Average(v => (double)v), 5);
            var labels = NpyFile.Read(Path.Combine(results, ModelFolders.LatentsFolder, row["key"] + ".labels.npy"));
            Assert.Equal([15], labels.Shape);

            // gfe encode on the saved model and the dataset's test split gives the run's own test loss.
            var encoded = Gfe("encode", "--model", Path.Combine(results, ModelFolders.FolderName, row["key"]), "--data", "curves",
                "--out", Path.Combine(root, "z.npy"), "--reconstructions", Path.Combine(root, "r.npy"), "--data-dir", DataDirectory);
            Assert.True(encoded.Code == 0, encoded.Error);
            var mean = encoded.Output.Split('\n').Single(l => l.StartsWith("mean loss ", StringComparison.Ordinal)).Split(' ')[2];
            Assert.Equal(loss, double.Parse(mean, CultureInfo.InvariantCulture), 9);
            Assert.Equal(latents.Values, NpyFile.Read(Path.Combine(root, "z.npy")).Values);
            var reconstructions = NpyFile.Read(Path.Combine(root, "r.npy"));
            Assert.Equal([15, 784], reconstructions.Shape);
        }

        // The report names the label: latents.md's table and the figure against it.
        Assert.Contains("| gfe-amd | 16 | phase |", File.ReadAllText(Path.Combine(results, LatentAnalysis.MarkdownFile)));
        Assert.True(File.Exists(Path.Combine(results, ModelFolders.LatentsFolder, runs.Rows[0]["key"] + ".label0.png")));
        // ... and so does the end of gfe sweep run.
        Assert.Matches(@"gfe-amd trainSize 16 phase: r -?[01]\.[0-9]{3}, with abs\(label\) -?[01]\.[0-9]{3} \(n=1\)", output);

        // 1-D samples are drawn as curves (three panels side by side), not as 28x28 images, and stay out of Figure 3.
        foreach (var row in runs.Rows)
        {
            using var picture = SkiaSharp.SKBitmap.Decode(Path.Combine(results, ResultsWriter.ReconstructionsFolder, row["key"] + ".png"));
            Assert.Equal(8 + 3 * (240 + 8), picture.Width);
        }
        Assert.Empty(Directory.GetFiles(Path.Combine(results, ResultsWriter.ReconstructionsFolder), "figure3*"));

        // A file with another feature count is refused.
        using (var narrow = File.Create(Path.Combine(root, "narrow.npy"))) NpyFile.Write(narrow, new float[30], [3, 10]);
        var refused = Gfe("encode", "--model", Path.Combine(results, ModelFolders.FolderName, runs.Rows[0]["key"]), "--data",
            Path.Combine(root, "narrow.npy"), "--out", Path.Combine(root, "z.npy"));
        Assert.Equal(ExitCodes.InvalidInput, refused.Code);
        Assert.Contains("10 features per sample", refused.Error);

        // Declared again with the same content: fine; the file changed since: refused before anything runs.
        File.WriteAllBytes(Path.Combine(root, "curves.npy"), [.. File.ReadAllBytes(Path.Combine(root, "curves.npy"))[..^8], .. new byte[8]]);
        var changed = Gfe("sweep", "run", sweep, "--data-dir", DataDirectory, "--results", Path.Combine(root, "results"));
        Assert.Equal(ExitCodes.InvalidInput, changed.Code);
        Assert.Contains("changed since dataset 'curves' was declared", changed.Error);
    }

    /// <summary>Real-valued spectra of 120 points (around 5, amplitude up to 3: neither in [0,1] nor centred).</summary>
    string WriteSpectra(int n)
    {
        var random = new Random(7);
        var values = new float[n * 120];
        for (int i = 0; i < n; i++)
        {
            double centre = 20 + 80 * random.NextDouble(), height = 0.5 + 2.5 * random.NextDouble();
            for (int x = 0; x < 120; x++) values[i * 120 + x] = (float)(5 + height * Math.Exp(-(x - centre) * (x - centre) / 50.0));
        }
        var path = Path.Combine(root, "spectra.npy");
        using (var file = File.Create(path)) NpyFile.Write(file, values, [n, 120]);
        return path;
    }

    [Fact]
    public void RealValuedSpectra_TrainWithMse_AnOwnModel_AndComeBackInTheirShape()
    {
        WriteSpectra(48);
        var sweep = Path.Combine(root, "spectra.yaml");
        File.WriteAllText(sweep, """
            name: spectra
            datasets:
              spectra:
                train: spectra.npy
                testFraction: 0.25
                seed: 2
                normalize: standard
                loss: mse
            grid:
              method: [ae, gfe-amd]
              dataset: [spectra]
              trainSize: [24]
            settings:
              testSize: 0
              batchSize: 8
              latentDim: 4
              hidden: [32]
              activation: tanh
              amd.tau: 300
              z0: zero
              latents: true
              reconstructions: 2
            """);

        var (code, output, error) = Gfe("sweep", "run", sweep, "--data-dir", DataDirectory, "--results", Path.Combine(root, "results"));

        Assert.True(code == 0, output + error);
        var results = Path.Combine(root, "results", "spectra");
        var table = CsvReader.ReadFile(Path.Combine(results, ResultsWriter.RunsFile));
        var rows = table.Skip(1).Select(r => table[0].Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, row => Assert.Equal("completed", row["state"]));
        Assert.All(rows, row => Assert.Equal("mse", row["loss"]));   // the declaration's loss, not the default bce
        Assert.Contains("mse", File.ReadAllText(Path.Combine(results, "table.md")));

        var samples = ReconstructionsCsv.Read(Path.Combine(results, ResultsWriter.ReconstructionsFile)).ToDictionary(r => r.Key, r => r.Sample);
        foreach (var row in rows)
        {
            var model = ModelArtifact.Load(Path.Combine(results, ModelFolders.FolderName, row["key"]));
            Assert.Equal([4, 32, 120], TrainedModel.Widths(model.Model.Decoder));
            Assert.Equal("mse", model.Loss);   // model.json says what the run trained, for a PyTorch user
            var sidecar = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(results, ModelFolders.FolderName, row["key"], ModelArtifact.SidecarFile)));
            Assert.Equal("tanh", sidecar.RootElement.GetProperty("activation").GetString());
            Assert.Equal("values", sidecar.RootElement.GetProperty("output").GetString());
            var loss = double.Parse(row["method"] == "ae" ? row["testLoss.AE"] : row["testLoss.GFE-amd"], CultureInfo.InvariantCulture);
            Assert.True(double.IsFinite(loss) && loss > 0, $"{row["key"]}: test loss {loss}");
            Assert.Equal([12, 4], NpyFile.Read(Path.Combine(results, ModelFolders.LatentsFolder, row["key"] + ".npy")).Shape);

            // The reconstructions keep the samples' shape; the originals are the data, not a 28x28 crop.
            Assert.Equal([120], samples[row["key"]].Shape);
            Assert.Equal(2, samples[row["key"]].Count);
            Assert.True(File.Exists(Path.Combine(results, ResultsWriter.ReconstructionsFolder, row["key"] + ".png")));

            // gfe encode with the saved model reproduces the run's test loss (zero starts: the same codes).
            var encoded = Gfe("encode", "--model", Path.Combine(results, ModelFolders.FolderName, row["key"]), "--data", "spectra",
                "--out", Path.Combine(root, "z.npy"), "--data-dir", DataDirectory);
            Assert.True(encoded.Code == 0, encoded.Error);
            var mean = encoded.Output.Split('\n').Single(l => l.StartsWith("mean loss ", StringComparison.Ordinal)).Split(' ')[2];
            Assert.Equal(loss, double.Parse(mean, CultureInfo.InvariantCulture), 6);
        }
    }

    [Fact]
    public void DataAdd_WritesADeclaration_AndDataListShowsIt()
    {
        var curves = WriteCurves(20);

        var add = Gfe("data", "add", "curves", curves, "--test-fraction", "0.2", "--labels", Path.Combine(root, "phases.npy"),
            "--description", "smooth curves", "--data-dir", DataDirectory);
        Assert.True(add.Code == 0, add.Error);
        Assert.Contains("declared curves: 16 train and 4 test samples of shape [784]", add.Output);

        var list = Gfe("data", "list", "--data-dir", DataDirectory);
        Assert.Equal(0, list.Code);
        var line = list.Output.Split('\n').Single(l => l.TrimStart().StartsWith("curves", StringComparison.Ordinal));
        Assert.Contains("16", line);
        Assert.Contains("784", line);
        Assert.Contains("curves.npy (float64)", line);
        Assert.Contains("smooth curves", line);
        Assert.Contains(list.Output.Split('\n'), l => l.TrimStart().StartsWith("mnist", StringComparison.Ordinal));

        var again = Gfe("data", "add", "curves", curves, "--test-fraction", "0.2", "--data-dir", DataDirectory);
        Assert.Equal(ExitCodes.InvalidInput, again.Code);
        Assert.Contains("--force", again.Error);
    }

    [Fact]
    public void SynthIsing_WritesSpinsAndLabels_AndDeclaresTheDataset()
    {
        var (code, output, error) = Gfe("data", "synth", "ising", "--lattice", "8", "--temperatures", "3", "--per-temperature", "10",
            "--t-min", "1.5", "--t-max", "3.5", "--data-dir", DataDirectory);

        Assert.True(code == 0, error);
        Assert.Contains("30 configurations of 8x8", output);
        var spins = NpyFile.Read(Path.Combine(DataDirectory, "ising-files", "ising.npy"));
        Assert.Equal("uint8", spins.DType);
        Assert.Equal([30, 8, 8], spins.Shape);
        Assert.All(spins.Values, v => Assert.True(v is 0 or 1));
        var labels = NpyFile.Read(Path.Combine(DataDirectory, "ising-files", "ising-labels.npy"));
        Assert.Equal([30, 2], labels.Shape);
        Assert.Equal([1.5f, 2.5f, 3.5f], labels.Values.Where((_, i) => i % 2 == 0).Distinct());
        // The magnetisation label is the mean of the spins as ±1; cold configurations are ordered.
        for (int i = 0; i < 30; i++)
            Assert.Equal(spins.Values.Skip(64 * i).Take(64).Average(s => 2.0 * s - 1), labels.Values[2 * i + 1], 5);
        Assert.All(Enumerable.Range(0, 10), i => Assert.True(Math.Abs(labels.Values[2 * i + 1]) > 0.9));
        var declared = new Gfe.Engine.Data.DatasetStore(DataDirectory).Load("ising");
        Assert.Equal(24, declared.Train.Count);
        Assert.Equal([8, 8], declared.SampleShape);
    }

    [Fact]
    public void BadInputs_GiveOneLine_AndTheDocumentedExitCode()
    {
        WriteCurves(10);
        File.WriteAllText(Path.Combine(root, "ragged.csv"), "1,2,3\n4,5\n");
        File.WriteAllText(Path.Combine(root, "wide.csv"), "0.1,0.2,0.3\n0.4,0.5,0.6\n");
        File.WriteAllText(Path.Combine(root, "narrow.csv"), "0.1,0.2\n0.4,0.5\n");
        (string[] Args, int Code, string Message)[] cases =
        [
            (["data", "add", "r", Path.Combine(root, "ragged.csv"), "--test-fraction", "0.5"], 2, "line 2 has 2 columns"),
            (["data", "add", "mnist", Path.Combine(root, "curves.npy"), "--test-fraction", "0.5"], 2, "built-in dataset mnist"),
            (["data", "add", "m", Path.Combine(root, "nothing.npy"), "--test-fraction", "0.5"], 3, "data file not found"),
            (["data", "add", "w", Path.Combine(root, "wide.csv"), "--test", Path.Combine(root, "narrow.csv"), "--loss", "mse"], 2, "they must match"),
            (["data", "add", "b", Path.Combine(root, "ragged.csv"), "--test-fraction", "0.5", "--test", "x.npy"], 2, "either --test FILE or --test-fraction"),
        ];
        foreach (var (args, expected, message) in cases)
        {
            var (code, _, error) = Gfe([.. args, "--data-dir", DataDirectory]);
            Assert.True(code == expected, $"{string.Join(' ', args)}: exit {code}, {error}");
            Assert.Contains(message, error);
            Assert.Single(error.Trim().Split('\n'));
        }
        Assert.False(Directory.Exists(Path.Combine(DataDirectory, "datasets")) &&
            Directory.GetFiles(Path.Combine(DataDirectory, "datasets")).Length > 0);
    }
}
