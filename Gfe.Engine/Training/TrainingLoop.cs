using System.Diagnostics;
using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// One pass over the training subset in batches of B, one RMSprop update per batch (engine-spec §4). The method
/// (GFE-amd or AE) enters only through <c>batchLoss</c>, which maps images [b, 784] to the batch loss
/// L = sum_i l_i; the logged train loss is L/b.
/// </summary>
public static class TrainingLoop
{
    public static TrainingOutcome Run(
        nn.Module model,
        Func<Tensor, Tensor> batchLoss,
        ImageSet subset,
        RunConfig config,
        Device device,
        IProgress<RunProgress>? progress,
        CancellationToken cancel)
    {
        // Created after the model moved to its device: .to(device) replaces the parameter objects (platform.md §1.3).
        using var optimizer = torch.optim.RMSProp(model.parameters(), config.LearningRate, config.RmsAlpha, config.RmsEps);
        var clock = Stopwatch.StartNew();
        var curve = new List<CurvePoint>();
        int batches = ImageBatch.Count(subset.Count, config.BatchSize);
        long imagesSeen = 0;
        double trainLoss = double.NaN;

        for (int batch = 0; batch < batches; batch++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            int start = batch * config.BatchSize;
            int count = Math.Min(config.BatchSize, subset.Count - start);
            var images = ImageBatch.Slice(subset, start, count, device);

            var loss = batchLoss(images);
            trainLoss = (double)loss.item<float>() / count;
            if (!double.IsFinite(trainLoss))
                throw new RunFailedException(
                    $"train loss became {trainLoss} at batch {batch + 1} of {batches} (after {imagesSeen} images); the run diverged");

            optimizer.zero_grad();
            loss.backward();
            optimizer.step();

            imagesSeen += count;
            if ((batch + 1) % config.CurveEvery == 0 || batch == batches - 1)
                curve.Add(new CurvePoint(imagesSeen, clock.Elapsed.TotalSeconds, trainLoss));
            progress?.Report(new RunProgress("train", (batch + 1.0) / batches, imagesSeen, trainLoss));
        }
        return new TrainingOutcome(curve, trainLoss, imagesSeen, clock.Elapsed.TotalSeconds);
    }
}
