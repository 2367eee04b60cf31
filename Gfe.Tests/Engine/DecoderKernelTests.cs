using Gfe.Engine.Data;
using Gfe.Engine.Kernels;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>
/// The host <see cref="DecoderKernel"/> against the torch <see cref="Decoder"/> and <see cref="ReconstructionLoss"/>,
/// against central finite differences of its own loss, and for bit-for-bit repeatability.
/// </summary>
public class DecoderKernelTests
{
    /// <summary>A decoder scaled by <paramref name="sharpness"/> (an untrained one is nearly flat in z), images and latents.</summary>
    static (Decoder Decoder, float[] Images, float[] Z) Problem(int batch, double sharpness = 2, int seed = 5)
    {
        using var generator = new Generator((ulong)seed, CPU);
        var decoder = new Decoder(generator);
        using (torch.no_grad())
            foreach (var parameter in decoder.parameters())
                parameter.mul_(sharpness);
        var random = new Random(seed);
        var z = Enumerable.Range(0, batch * Decoder.LatentSize).Select(_ => (float)(random.NextDouble() * 2 - 0.5)).ToArray();
        return (decoder, SyntheticImages.Make(batch, seed).Pixels, z);
    }

    static (float[] Losses, float[] Gradient, float[] Norms) Kernel(Decoder decoder, float[] images, float[] z, int batch, bool simd = true)
    {
        var kernel = new DecoderKernel(simd);
        kernel.Load(decoder);
        var losses = new float[batch];
        var gradient = new float[batch * Decoder.LatentSize];
        var norms = new float[batch];
        kernel.Forward(z, images, batch, losses);
        kernel.Gradient(gradient, norms);
        return (losses, gradient, norms);
    }

    static (float[] Losses, float[] Gradient) Torch(Decoder decoder, float[] images, float[] z, int batch)
    {
        using var scope = torch.NewDisposeScope();
        var leaf = torch.tensor(z, [batch, Decoder.LatentSize]).requires_grad_(true);
        var losses = ReconstructionLoss.PerImage(LossKind.Bce, decoder.forward(leaf), torch.tensor(images, [batch, ImageSet.ImageSize]));
        var gradient = torch.autograd.grad([losses.sum()], [leaf])[0];
        return (losses.detach().data<float>().ToArray(), gradient.data<float>().ToArray());
    }

    static void AssertClose(float[] expected, float[] actual, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs(v));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale,
                $"{what}[{i}]: torch {expected[i]}, kernel {actual[i]} (scale {scale})");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(16)]
    public void Loss_and_latent_gradient_match_the_torch_decoder(int batch)
    {
        var (decoder, images, z) = Problem(batch);
        using (decoder)
        {
            var (losses, gradient, norms) = Kernel(decoder, images, z, batch);
            var (torchLosses, torchGradient) = Torch(decoder, images, z, batch);
            AssertClose(torchLosses, losses, 1e-5, "loss");
            AssertClose(torchGradient, gradient, 1e-5, "gradient");
            for (int i = 0; i < batch; i++)
            {
                double norm = torchGradient.Skip(i * Decoder.LatentSize).Take(Decoder.LatentSize).Sum(g => (double)g * g);
                Assert.Equal(norm, norms[i], norm * 1e-4);
            }
        }
    }

    [Fact]
    public void Scalar_loops_agree_with_the_vector_path()
    {
        var (decoder, images, z) = Problem(5);
        using (decoder)
        {
            var vector = Kernel(decoder, images, z, 5, simd: true);
            var scalar = Kernel(decoder, images, z, 5, simd: false);
            AssertClose(scalar.Losses, vector.Losses, 1e-5, "loss");
            AssertClose(scalar.Gradient, vector.Gradient, 1e-5, "gradient");
        }
    }

    /// <summary>The kernel's gradient is the derivative of its own loss: central differences in double steps.</summary>
    [Fact]
    public void Latent_gradient_matches_central_finite_differences()
    {
        const int batch = 2;
        var (decoder, images, z) = Problem(batch, sharpness: 1.5);
        using (decoder)
        {
            var kernel = new DecoderKernel();
            kernel.Load(decoder);
            var (_, gradient, _) = Kernel(decoder, images, z, batch);
            // The absolute slack below must be small beside the gradient, or the test could not fail.
            Assert.True(gradient.Max(Math.Abs) > 2e-3, $"gradient too small to test: {gradient.Max(Math.Abs)}");
            var losses = new float[batch];
            const float h = 1e-2f;
            for (int row = 0; row < batch; row++)
            for (int j = 0; j < Decoder.LatentSize; j++)
            {
                int k = row * Decoder.LatentSize + j;
                var shifted = (float[])z.Clone();
                shifted[k] = z[k] + h;
                kernel.Forward(shifted, images, batch, losses);
                double up = losses[row];
                shifted[k] = z[k] - h;
                kernel.Forward(shifted, images, batch, losses);
                double down = losses[row];
                double difference = (up - down) / (2 * h);
                Assert.True(Math.Abs(difference - gradient[k]) <= 1e-3 * Math.Abs(gradient[k]) + 2e-5,
                    $"row {row} dim {j}: finite difference {difference}, kernel {gradient[k]}");
            }
        }
    }

    /// <summary>Fixed summation order: a repeat, and the same row inside a batch of any size, give the same bits.</summary>
    [Fact]
    public void Results_repeat_bit_for_bit_and_do_not_depend_on_the_batch()
    {
        const int batch = 6;
        var (decoder, images, z) = Problem(batch);
        using (decoder)
        {
            var first = Kernel(decoder, images, z, batch);
            var again = Kernel(decoder, images, z, batch);
            Assert.Equal(first.Losses, again.Losses);
            Assert.Equal(first.Gradient, again.Gradient);
            var alone = Kernel(decoder, images[(3 * ImageSet.ImageSize)..(4 * ImageSet.ImageSize)],
                z[(3 * Decoder.LatentSize)..(4 * Decoder.LatentSize)], 1);
            Assert.Equal(first.Losses[3], alone.Losses[0]);
            Assert.Equal(first.Gradient[(3 * Decoder.LatentSize)..(4 * Decoder.LatentSize)], alone.Gradient);
        }
    }

    [Fact]
    public void Bad_input_is_an_exception_not_a_crash()
    {
        var (decoder, images, z) = Problem(2);
        using (decoder)
        {
            var kernel = new DecoderKernel();
            var losses = new float[2];
            Assert.Throws<InvalidOperationException>(() => kernel.Forward(z, images, 2, losses));
            kernel.Load(decoder);
            Assert.Throws<InvalidOperationException>(() => kernel.Gradient(new float[40], new float[2]));
            Assert.Throws<ArgumentException>(() => kernel.Forward(z, images, 3, new float[3]));        // z too short
            Assert.Throws<ArgumentException>(() => kernel.Forward(z, images[..100], 2, losses));       // images too short
            Assert.Throws<ArgumentException>(() => kernel.Forward(z, images, 0, losses));
            var broken = (float[])z.Clone();
            broken[7] = float.NaN;
            var error = Assert.Throws<ArgumentException>(() => kernel.Forward(broken, images, 2, losses));
            Assert.Contains("not finite", error.Message);
            kernel.Forward(z, images, 2, losses);
            Assert.Throws<ArgumentException>(() => kernel.Gradient(new float[39], new float[2]));
        }
    }
}
