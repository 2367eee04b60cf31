using Gfe.Engine.Models;
using Gfe.Engine.Losses;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

public class ReconstructionLossTests
{
    static double PixelLoss(double x, double y)
    {
        double p = 1 / (1 + Math.Exp(-y));
        return -x * Math.Log(p + 1e-8) - (1 - x) * Math.Log(1 - p + 1e-8);
    }

    [Fact]
    public void PerImageLossIsThePixelMeanOfTheEpsBce()
    {
        double[,] targets = { { 1, 0, 0.3, 0.5 }, { 0, 1, 0, 1 } };
        double[,] logits = { { 0, 0, 1.5, -2 }, { 40, -40, -3, 2 } };
        using var x = torch.tensor(targets, dtype: ScalarType.Float32);
        using var y = torch.tensor(logits, dtype: ScalarType.Float32);
        using var losses = ReconstructionLoss.PerImage(LossKind.Bce, y, x);

        Assert.Equal(new long[] { 2 }, losses.shape);
        for (int i = 0; i < 2; i++)
        {
            double expected = Enumerable.Range(0, 4).Average(p => PixelLoss(targets[i, p], logits[i, p]));
            Assert.Equal(expected, losses[i].item<float>(), 1e-5);
        }
        using var sum = ReconstructionLoss.BatchSum(LossKind.Bce, y, x);
        Assert.Equal(losses[0].item<float>() + losses[1].item<float>(), sum.item<float>(), 1e-6);
    }

    [Fact]
    public void SaturatedPixelsCostMinusLnEpsilonNotInfinity()
    {
        // sigmoid(40) is 1 in float32, so a wrong confident pixel costs exactly -ln(1e-8) = 18.42 (not BCE-with-logits' 40).
        using var x = torch.tensor(new float[] { 0, 1 }, [1, 2]);
        using var y = torch.tensor(new float[] { 40, -40 }, [1, 2]);
        using var losses = ReconstructionLoss.PerImage(LossKind.Bce, y, x);
        Assert.Equal(-Math.Log(1e-8), losses[0].item<float>(), 1e-4);
        Assert.Equal(18.420680743952367, -Math.Log(1e-8), 1e-12);
    }

    [Fact]
    public void LogitDerivativeMatchesTheSpecFormula()
    {
        double[] targets = { 0, 1, 0.25, 0.9, 0.5 };
        double[] logits = { -1.2, 0.7, 3.0, -4.0, 0.1 };
        using var x = torch.tensor(targets, [1, 5], ScalarType.Float64);
        using var y = torch.tensor(logits, [1, 5], ScalarType.Float64, requires_grad: true);
        using var loss = ReconstructionLoss.BatchSum(LossKind.Bce, y, x);
        var gradient = torch.autograd.grad([loss], [y])[0];

        for (int p = 0; p < 5; p++)
        {
            double s = 1 / (1 + Math.Exp(-logits[p])), q = s * (1 - s), t = targets[p];
            double expected = q * ((1 - t) / (1 - s + 1e-8) - t / (s + 1e-8)) / 5;
            Assert.Equal(expected, gradient[0, p].item<double>(), 1e-12);
        }
    }
}
