using Gfe.Engine.Data;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Solvers;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

public class LatentGradientTests
{
    [Fact]
    public void FlowGradientMatchesCentralFiniteDifferences()
    {
        using var generator = new Generator(11, CPU);
        using var decoder = new Decoder(generator);
        decoder.to(ScalarType.Float64);   // float64 so that finite differences resolve the gradient
        var images = SyntheticImages.Make(2, 4);
        using var x = torch.tensor(images.Pixels, [2, ImageSet.ImageSize]).to(ScalarType.Float64);
        using var z = torch.rand(2, Decoder.LatentSize, ScalarType.Float64, generator: generator);

        var (gradient, losses, normsSquared) = AmdSolver.LossAndGradient(decoder, x, z);

        const double h = 1e-6;
        using var noGrad = torch.no_grad();
        double L(Tensor at) => ReconstructionLoss.BatchSum(LossKind.Bce, decoder.forward(at), x).item<double>();
        for (int i = 0; i < 2; i++)
        for (int k = 0; k < Decoder.LatentSize; k++)
        {
            using var plus = z.clone();
            using var minus = z.clone();
            plus[i, k] = plus[i, k] + h;
            minus[i, k] = minus[i, k] - h;
            double numeric = (L(plus) - L(minus)) / (2 * h);
            double analytic = gradient[i, k].item<double>();
            Assert.True(Math.Abs(numeric - analytic) <= 1e-7 + 1e-5 * Math.Abs(analytic),
                $"dL/dz[{i},{k}]: autograd {analytic}, finite differences {numeric}");
        }

        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(ReconstructionLoss.PerImage(LossKind.Bce, decoder.forward(z), x)[i].item<double>(), losses[i], 1e-6);
            Assert.Equal(gradient[i].square().sum().item<double>(), normsSquared[i], 1e-6 * normsSquared[i] + 1e-12);
        }
        // The gradient is taken with respect to z only: the decoder's parameters keep no gradient.
        Assert.All(decoder.parameters(), p => Assert.True(p.grad is null));
    }

    [Fact]
    public void FlowGradientIsTakenEvenWhenTheCallerDisabledGrad()
    {
        // Test-time encoding runs under no_grad; the solver must switch grad back on for z, or libtorch aborts.
        using var generator = new Generator(12, CPU);
        using var decoder = new Decoder(generator);
        using var x = torch.rand(2, ImageSet.ImageSize, generator: generator);
        using var z = torch.rand(2, Decoder.LatentSize, generator: generator);

        var (expected, _, _) = AmdSolver.LossAndGradient(decoder, x, z);
        Tensor actual;
        using (torch.no_grad())
            (actual, _, _) = AmdSolver.LossAndGradient(decoder, x, z);

        Assert.True(expected.Equals(actual));
        Assert.True(expected.abs().sum().item<float>() > 0);
    }
}
