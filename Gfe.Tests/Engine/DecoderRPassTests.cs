using Gfe.Engine.Data;
using Gfe.Engine.Flows;
using Gfe.Engine.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>The hand-written R-pass against central finite differences of autograd gradients, in float64.</summary>
public class DecoderRPassTests
{
    static (Decoder Decoder, Tensor Images, Tensor Z, Tensor V) Problem(Generator generator)
    {
        var decoder = new Decoder(generator);
        decoder.to(ScalarType.Float64);
        var images = torch.tensor(SyntheticImages.Make(3, 5).Pixels, [3, ImageSet.ImageSize]).to(ScalarType.Float64);
        // Spread z so that the ELUs see both signs.
        var z = torch.randn(3, Decoder.LatentSize, ScalarType.Float64, generator: generator) * 2;
        var v = torch.randn(3, Decoder.LatentSize, ScalarType.Float64, generator: generator);
        return (decoder, images, z, v);
    }

    [Fact]
    public void HessianVectorMatchesFiniteDifferencesOfTheGradient()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(21, CPU);
        var (decoder, images, z, v) = Problem(generator);

        var pass = DecoderRPass.Run(decoder, images, z, v);

        const double h = 1e-5;
        var numeric = (LatentGradient.Of(decoder, images, z + v * h) - LatentGradient.Of(decoder, images, z - v * h)) / (2 * h);
        var autograd = LatentGradient.Of(decoder, images, z);
        Assert.True(pass.Gradient.allclose(autograd, rtol: 1e-10, atol: 1e-14), "R-pass gradient differs from autograd");
        double scale = numeric.abs().max().item<double>();
        Assert.True(scale > 1e-6, "the Hessian-vector product should not vanish");
        double error = (pass.HessianVector - numeric).abs().max().item<double>();
        Assert.True(error < 1e-6 * scale, $"H v off by {error} (scale {scale})");
    }

    [Fact]
    public void ParameterGradientsOfTheDirectionalGradientMatchFiniteDifferences()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(22, CPU);
        var (decoder, images, z, v) = Problem(generator);

        var parameters = decoder.parameters().ToArray();
        Assert.Equal(8, parameters.Length);
        // Accumulated onto a known start with a weight, as the adjoint integral uses it.
        var start = parameters.Select(p => torch.randn(p.shape, ScalarType.Float64, generator: generator)).ToArray();
        var sum = start.Select(s => s.clone()).ToArray();
        const double weight = 0.7;
        DecoderRPass.Run(decoder, images, z, v, sum, weight);
        var rpass = sum.Zip(start, (s, s0) => (s - s0) / weight).ToArray();

        double Directional() => (v * LatentGradient.Of(decoder, images, z)).sum().item<double>();
        const double h = 1e-5;
        for (int j = 0; j < parameters.Length; j++)
        {
            
            var u = torch.randn(parameters[j].shape, ScalarType.Float64, generator: generator);
            using (torch.no_grad()) parameters[j].add_(u, alpha: h);
            double plus = Directional();
            using (torch.no_grad()) parameters[j].add_(u, alpha: -2 * h);
            double minus = Directional();
            using (torch.no_grad()) parameters[j].add_(u, alpha: h);

            double numeric = (plus - minus) / (2 * h);
            double analytic = (rpass[j] * u).sum().item<double>();
            Assert.True(Math.Abs(numeric) > 1e-8, $"parameter tensor {j}: the directional derivative should not vanish");
            Assert.True(Math.Abs(analytic - numeric) < 1e-6 * Math.Abs(numeric) + 1e-12,
                $"parameter tensor {j}: R-pass {analytic}, finite differences {numeric}");
        }
    }
}
