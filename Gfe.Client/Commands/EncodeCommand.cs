using System.CommandLine;
using System.Globalization;
using Gfe.Engine.Artifacts;
using Gfe.Engine.Data;
using Gfe.Engine.Data.Files;
using Gfe.Engine.Runs;

namespace Gfe.Client.Commands;

/// <summary>
/// <c>gfe encode</c>: latent codes (and reconstructions) of new data with a trained model from a sweep's results,
/// batch by batch, so that memory does not grow with the input (a .npy input is streamed; other formats are read
/// whole first).
/// </summary>
public static class EncodeCommand
{
    public static Command Create(Terminal terminal)
    {
        var model = new Option<string>("--model") { Description = "A model folder: results/<sweep>/models/<run key>.", Required = true, HelpName = "DIR" };
        var data = new Option<string>("--data")
        {
            Description = "What to encode: a data file (.npy streamed; .npz:ARRAY, .csv, .h5:/path, IDX), in the data's own units, or the name of a dataset (its test split).",
            Required = true,
            HelpName = "FILE|DATASET",
        };
        var output = new Option<string>("--out") { Description = "Where to write the latent codes, [N, latent] float32 .npy.", Required = true, HelpName = "FILE" };
        var reconstructions = new Option<string?>("--reconstructions") { Description = "Also write the reconstructions, in the data's own units, as .npy.", HelpName = "FILE" };
        var losses = new Option<string?>("--losses") { Description = "Also write each sample's loss as .npy.", HelpName = "FILE" };
        var amd = new Option<bool>("--amd") { Description = "For an AE model: encode with AMD on its decoder instead of its encoder." };
        var mode = new Option<string?>("--amd-mode")
        {
            Description = "batch (the run's batch-coupled AMD) or per-sample (each sample converges on its own, so its code does not depend on its batch neighbours; recommended for large inputs). Default: the run's amd.mode.",
        };
        mode.AcceptOnlyFromAmong("batch", "per-sample");
        var batch = new Option<int?>("--batch-size") { Description = "Samples per batch. Default: the run's testBatchSize." };
        var dataDir = new Option<string>("--data-dir")
        {
            Description = $"Where datasets live (for --data DATASET). Default: ${DataPaths.EnvironmentVariable}, else ~/.local/share/gfe/data.",
            HelpName = "DIR",
            DefaultValueFactory = _ => DataPaths.DefaultDirectory,
        };
        var command = new Command("encode", """
            Encode data explicitly with a trained model: AMD through the trained decoder for GFE models, the encoder for
            an AE (or AMD on the AE's decoder with --amd). The data are normalised as the model was trained; prints the
            mean loss. Exit codes: 0 done, 2 invalid input (feature count or normalisation that do not match the model),
            3 a file is missing or unreadable.
            """);
        foreach (var option in new Option[] { model, data, output, reconstructions, losses, amd, mode, batch, dataDir })
            command.Options.Add(option);
        command.SetAction((parse, cancel) => Task.Run(() => GfeException.FromData(() =>
            Encode(terminal, parse.GetValue(model)!, parse.GetValue(data)!, parse.GetValue(output)!,
                parse.GetValue(reconstructions), parse.GetValue(losses), parse.GetValue(amd),
                parse.GetValue(mode) switch { "batch" => AmdMode.Batch, "per-sample" => AmdMode.PerSample, _ => null },
                parse.GetValue(batch), parse.GetValue(dataDir)!, cancel)), cancel));
        return command;
    }

    static int Encode(Terminal terminal, string modelDirectory, string data, string output, string? reconstructionsPath,
        string? lossesPath, bool amd, AmdMode? mode, int? batchSize, string dataDirectory, CancellationToken cancel)
    {
        if (!Directory.Exists(modelDirectory)) throw new DataException($"{modelDirectory}: no such model folder.");
        var artifact = ModelArtifact.Load(modelDirectory);
        using var encoding = new ModelEncoding(artifact, amd, mode);
        int batch = batchSize ?? encoding.Config.TestBatchSize;
        if (batch < 1) throw new DataInputException($"--batch-size must be at least 1, not {batch}");

        // The source: a stream of samples in the model's units, with their count, shape and a name for messages.
        var source = OpenSource(data, artifact, dataDirectory);
        using var _ = source.Reader;
        if (source.FeatureCount != artifact.FeatureCount)
            throw new DataInputException(
                $"{source.Name}: {source.FeatureCount} features per sample, the model {artifact.RunKey} was trained on {artifact.FeatureCount} " +
                $"(sample shape [{string.Join(", ", artifact.SampleShape)}]).");

        terminal.Output.WriteLine($"encoding {source.Count:N0} samples of {source.Name} with {artifact.RunKey} " +
            $"({(encoding.UsesAmd ? $"AMD, {(encoding.Config.Amd.Mode == AmdMode.PerSample ? "per-sample" : "batch-coupled")}" : "the AE's encoder")}, batches of {batch})");
        using var latents = new NpyWriter(output, [source.Count, encoding.LatentDim]);
        using var reconstructions = reconstructionsPath is null ? null : new NpyWriter(reconstructionsPath, [source.Count, .. artifact.SampleShape]);
        var lossValues = new List<double>();
        using var lossWriter = lossesPath is null ? null : new NpyWriter(lossesPath, [source.Count]);
        double total = 0;
        int done = 0, nextReport = 0;
        while (done < source.Count)
        {
            cancel.ThrowIfCancellationRequested();
            int count = Math.Min(batch, source.Count - done);
            var encoded = encoding.Encode(source.Next(count), count);
            latents.Append(encoded.Latents);
            reconstructions?.Append(encoded.Reconstructions);
            lossWriter?.Append(encoded.Losses.Select(l => (float)l).ToArray());
            total += encoded.Losses.Sum();
            done += count;
            if (done >= nextReport || done == source.Count)
            {
                terminal.Output.WriteLine($"  {done:N0}/{source.Count:N0} ({100.0 * done / source.Count:F0}%), mean loss so far {total / done:G6}");
                nextReport = done + Math.Max(batch, source.Count / 10);
            }
        }
        latents.Complete();
        reconstructions?.Complete();
        lossWriter?.Complete();
        terminal.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mean loss {total / source.Count:R} over {source.Count} samples; latents in {output}"));
        return ExitCodes.Success;
    }

    sealed record Source(string Name, int Count, int FeatureCount, Func<int, float[]> Next, IDisposable? Reader);

    static Source OpenSource(string data, ModelArtifact artifact, string dataDirectory)
    {
        var store = new DatasetStore(dataDirectory);
        // A dataset name unless a file of that name is here (names have no extension, files do).
        if (!File.Exists(data) && (DatasetCatalog.Find(data) is not null || store.IsDeclared(data)))
        {
            var splits = store.Load(data);
            if (!SameNormalization(splits.Normalization, artifact.Normalization))
                throw new DataInputException(
                    $"dataset {data} is normalised {Normalization.Text(splits.Normalization.Mode)} with other statistics than the model {artifact.RunKey} " +
                    $"({Normalization.Text(artifact.Normalization.Mode)}); encode its files instead, which are normalised as the model was trained.");
            int position = 0;
            return new Source($"{data} (test split)", splits.Test.Count, splits.FeatureCount, count =>
            {
                var values = splits.Test.Pixels.AsSpan(position * splits.FeatureCount, count * splits.FeatureCount).ToArray();
                position += count;
                return values;
            }, null);
        }
        var reference = DataFileReference.Parse(data, Environment.CurrentDirectory);
        if (reference.Format == DataFileFormat.Npy)
        {
            var reader = NpyReader.Open(reference.Path);
            if (reader.Count == 0 || reader.FeatureCount == 0) throw new DataInputException($"{reference.Path}: the array is empty.");
            return new Source(reference.Path, reader.Count, reader.FeatureCount,
                count => artifact.Normalization.Apply(reader.ReadSamples(count)), reader);
        }
        var array = reference.Read();
        int next = 0;
        return new Source(reference.ToString(), array.Count, array.FeatureCount, count =>
        {
            var values = artifact.Normalization.Apply(array.Values.AsSpan(next * array.FeatureCount, count * array.FeatureCount).ToArray());
            next += count;
            return values;
        }, null);
    }

    static bool SameNormalization(Normalization a, Normalization b) =>
        a.Mode == b.Mode && a.Offset.SequenceEqual(b.Offset) && a.Scale.SequenceEqual(b.Scale);
}
