using Gfe.Engine.Data;
using Gfe.Engine.Data.Files;
using Gfe.Engine.Runs;

namespace Gfe.Engine.Artifacts;

/// <summary>
/// The latent codes of a run's test samples (setting <c>latents: true</c>), written into the run's model folder beside
/// the weights: <c>latents.npy</c> [M, latent], <c>latent-losses.npy</c> [M] (each sample's test loss) and, when the
/// dataset has labels, <c>latent-labels.npy</c> (the built-ins' digit or class; a declared dataset's label file). The
/// codes are found again with the saved model by <see cref="ModelEncoding"/>, in the run's test batches; with
/// <c>z0: zero</c> they are the codes the run's test evaluation found, with uniform starts fresh draws.
/// </summary>
public static class LatentExport
{
    public const string LatentsFile = "latents.npy";
    public const string LossesFile = "latent-losses.npy";
    public const string LabelsFile = "latent-labels.npy";

    public static void Write(string folder, ModelArtifact artifact, RunConfig config, DatasetSplits data, CancellationToken cancel)
    {
        var test = config.TestSize == 0 ? data.Test : data.Test.Head(config.TestSize);
        using var encoding = new ModelEncoding(artifact, useAmd: false);
        int d = test.FeatureCount;
        using (var latents = new NpyWriter(Path.Combine(folder, LatentsFile), [test.Count, encoding.LatentDim]))
        using (var losses = new NpyWriter(Path.Combine(folder, LossesFile), [test.Count]))
        {
            for (int start = 0; start < test.Count; start += config.TestBatchSize)
            {
                cancel.ThrowIfCancellationRequested();
                int count = Math.Min(config.TestBatchSize, test.Count - start);
                var encoded = encoding.Encode(test.Pixels.AsSpan(start * d, count * d).ToArray(), count);
                latents.Append(encoded.Latents);
                losses.Append(encoded.Losses.Select(l => (float)l).ToArray());
            }
            latents.Complete();
            losses.Complete();
        }
        var labelsPath = Path.Combine(folder, LabelsFile);
        if (data.TestLabels is { } labels)
        {
            var head = labels.Select(Enumerable.Range(0, test.Count).ToArray());
            NpyFile.Write(labelsPath, head.Values, head.Shape);
        }
        else if (data.DefaultLoss is null)
            NpyFile.Write(labelsPath, test.Labels.Select(b => (float)b).ToArray(), [test.Count]);
    }
}
