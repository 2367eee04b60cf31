using Gfe.Engine.Data;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// The test metric (engine-spec §2, Table 1): the per-image mean of l over the test images, each image reconstructed
/// by some encoding and the decoder. A true per-image mean, so a partial last batch is weighted correctly (spec §6 B8).
/// </summary>
public static class TestEvaluation
{
    /// <summary>Mean test loss with <paramref name="reconstruct"/> mapping images [b, 784] to logits [b, 784].</summary>
    public static double MeanLoss(
        ImageSet test,
        int batchSize,
        Func<Tensor, Tensor> reconstruct,
        Device device,
        Action<double>? reportFraction,
        CancellationToken cancel)
    {
        using var noGrad = torch.no_grad();
        int batches = ImageBatch.Count(test.Count, batchSize);
        double total = 0;
        for (int batch = 0; batch < batches; batch++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            int start = batch * batchSize;
            var images = ImageBatch.Slice(test, start, Math.Min(batchSize, test.Count - start), device);
            total += ReconstructionLoss.PerImage(reconstruct(images), images).to_type(ScalarType.Float64).sum().item<double>();
            reportFraction?.Invoke((batch + 1.0) / batches);
        }
        double mean = total / test.Count;
        if (!double.IsFinite(mean))
            throw new RunFailedException($"test loss is {mean}: the trained model produces non-finite reconstructions");
        return mean;
    }

    /// <summary>The reconstructions sigmoid(logits) of <paramref name="images"/>, 784 floats in [0,1] per image, for
    /// pictures (Figure 3).</summary>
    public static float[] Reconstruct(ImageSet images, int batchSize, Func<Tensor, Tensor> reconstruct, Device device)
    {
        using var noGrad = torch.no_grad();
        var pixels = new float[images.Pixels.Length];
        for (int start = 0; start < images.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            int count = Math.Min(batchSize, images.Count - start);
            var batch = ImageBatch.Slice(images, start, count, device);
            var reconstructed = torch.sigmoid(reconstruct(batch)).cpu().data<float>().ToArray();
            Array.Copy(reconstructed, 0, pixels, (long)start * images.FeatureCount, reconstructed.Length);
        }
        return pixels;
    }

    /// <summary>
    /// Mean test loss of a decoder whose test codes are found by AMD (GFE-amd and Mixed), in batches of the test batch
    /// size, batch-coupled as in the reference; also the solver's work.
    /// </summary>
    public static (double Loss, AmdStatistics Amd) AmdLoss(
        Decoder decoder,
        AmdSolver solver,
        ImageSet test,
        RunConfig config,
        Generator generator,
        Device device,
        Action<double>? reportFraction,
        CancellationToken cancel)
    {
        var amd = AmdStatistics.None;
        double loss = MeanLoss(test, config.TestBatchSize, images =>
        {
            var z0 = LatentStart.Draw(config.Z0, images.shape[0], generator, device);
            var solution = solver.Solve(decoder, images, z0);
            amd = amd.Add(solution.Statistics);
            return decoder.forward(solution.Latent);
        }, device, reportFraction, cancel);
        return (loss, amd);
    }
}
