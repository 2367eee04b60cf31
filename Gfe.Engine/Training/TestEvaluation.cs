using Gfe.Engine.Data;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// The test metric (docs/method.md §2, Table 1): the per-sample mean of the run's loss l over the test data, each sample
/// reconstructed by some encoding and the decoder. A true per-sample mean, so a partial last batch is weighted
/// correctly (docs/method.md §6.8).
/// </summary>
public static class TestEvaluation
{
    /// <summary>Mean test loss with <paramref name="reconstruct"/> mapping data [b, D] to decoder outputs [b, D].</summary>
    public static double MeanLoss(
        LossKind loss,
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
            total += ReconstructionLoss.PerImage(loss, reconstruct(images), images).to_type(ScalarType.Float64).sum().item<double>();
            reportFraction?.Invoke((batch + 1.0) / batches);
        }
        double mean = total / test.Count;
        if (!double.IsFinite(mean))
            throw new RunFailedException($"test loss is {mean}: the trained model produces non-finite reconstructions");
        return mean;
    }

    /// <summary>The reconstructions of <paramref name="images"/> in the data's units (sigmoid of the logits for BCE,
    /// the output for MSE), D floats per sample, for pictures (Figure 3).</summary>
    public static float[] Reconstruct(LossKind loss, ImageSet images, int batchSize, Func<Tensor, Tensor> reconstruct, Device device)
    {
        using var noGrad = torch.no_grad();
        var pixels = new float[images.Pixels.Length];
        int features = images.Count == 0 ? 0 : images.Pixels.Length / images.Count;
        for (int start = 0; start < images.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            int count = Math.Min(batchSize, images.Count - start);
            var batch = ImageBatch.Slice(images, start, count, device);
            var reconstructed = ReconstructionLoss.Reconstruction(loss, reconstruct(batch)).cpu().data<float>().ToArray();
            Array.Copy(reconstructed, 0, pixels, (long)start * features, reconstructed.Length);
        }
        return pixels;
    }

    /// <summary>The decoder's output at the AMD codes of <paramref name="images"/> (GFE-amd and Mixed): z0 drawn from
    /// <paramref name="generator"/>, the solver's work added to <paramref name="amd"/>. Batch-coupled as in the reference
    /// when the solver is.</summary>
    public static Tensor AmdEncode(Decoder decoder, AmdSolver solver, Tensor images, LatentInit z0, Generator generator, AmdTally amd)
    {
        var start = LatentStart.Draw(z0, images.shape[0], decoder.Shape.LatentDim, generator, images.device);
        var solution = solver.Solve(decoder, images, start);
        amd.Add(solution.Statistics);
        return decoder.forward(solution.Latent);
    }

    /// <summary>
    /// Mean test loss of a decoder whose test codes are found by AMD (GFE-amd and Mixed), in batches of the test batch
    /// size, with the decoder's loss; also the solver's work.
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
        var amd = new AmdTally();
        double loss = MeanLoss(decoder.Shape.Loss, test, config.TestBatchSize,
            images => AmdEncode(decoder, solver, images, config.Z0, generator, amd), device, reportFraction, cancel);
        return (loss, amd.Total);
    }
}
