using Gfe.Engine.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>Consecutive images of an <see cref="ImageSet"/> as a flattened [count, D] float tensor (D = FeatureCount, 784 for the MNIST family) on a device.</summary>
public static class ImageBatch
{
    public static Tensor Slice(ImageSet images, int start, int count, Device device)
    {
        int d = images.FeatureCount;
        var pixels = new float[count * d];
        Array.Copy(images.Pixels, (long)start * d, pixels, 0, pixels.Length);
        // torch.tensor wraps the managed array without copying, so its address varies from call to call; the GEMM
        // kernels round differently at different alignments, which made the same evaluation differ in the last
        // bits. clone() puts the batch in libtorch's own (64-byte aligned) memory: results are bit-reproducible.
        return torch.tensor(pixels, [count, d]).clone().to(device);
    }

    /// <summary>The images <paramref name="order"/>[start .. start+count) of <paramref name="images"/>, as one batch.</summary>
    public static Tensor Gather(ImageSet images, int[] order, int start, int count, Device device)
    {
        int d = images.FeatureCount;
        var pixels = new float[count * d];
        for (int i = 0; i < count; i++)
            Array.Copy(images.Pixels, (long)order[start + i] * d, pixels, (long)i * d, d);
        // Cloned into libtorch's aligned memory for bit-reproducible GEMMs, as in Slice.
        return torch.tensor(pixels, [count, d]).clone().to(device);
    }

    /// <summary>How many batches of <paramref name="batchSize"/> cover <paramref name="count"/> images (the last may be partial).</summary>
    public static int Count(int count, int batchSize) => (count + batchSize - 1) / batchSize;
}
