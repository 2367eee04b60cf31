using Gfe.Engine.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

public class ModelTests
{
    static long ParameterCount(nn.Module module) => module.parameters().Sum(p => p.numel());

    [Fact]
    public void DecoderMapsLatentsToPixelLogitsWithThePaperSize()
    {
        using var generator = new Generator(1, CPU);
        using var decoder = new Decoder(generator);
        using var z = torch.rand(3, Decoder.LatentSize);
        using var logits = decoder.forward(z);

        Assert.Equal(new long[] { 3, 784 }, logits.shape);
        Assert.Equal(700_234, ParameterCount(decoder));
        Assert.Equal(8, decoder.parameters().Count());
        // Logits, not probabilities: an untrained decoder already produces some negative outputs.
        Assert.True(logits.min().item<float>() < 0);
    }

    [Fact]
    public void EncoderMirrorsTheDecoder()
    {
        using var generator = new Generator(1, CPU);
        using var encoder = new Encoder(generator);
        using var images = torch.rand(2, 784);
        using var latent = encoder.forward(images);

        Assert.Equal(new long[] { 2, 20 }, latent.shape);
        Assert.Equal(699_470, ParameterCount(encoder));
    }

    [Fact]
    public void AutoencoderReconstructsThroughBothHalves()
    {
        using var generator = new Generator(1, CPU);
        using var autoencoder = new Autoencoder(generator);
        using var images = torch.rand(2, 784);
        using var logits = autoencoder.forward(images);
        using var viaHalves = autoencoder.Decoder.forward(autoencoder.Encoder.forward(images));

        Assert.Equal(699_470 + 700_234, ParameterCount(autoencoder));
        Assert.True(logits.Equals(viaHalves));
    }

    [Fact]
    public void WeightsAreUniformWithinOneOverSqrtFanIn()
    {
        using var generator = new Generator(3, CPU);
        using var decoder = new Decoder(generator);
        foreach (var (name, parameter) in decoder.named_parameters())
        {
            long fanIn = name.StartsWith("layer1") ? 20 : name.StartsWith("layer2") ? 150 : name.StartsWith("layer3") ? 300 : 600;
            double bound = 1 / Math.Sqrt(fanIn);
            double largest = parameter.abs().max().item<float>();
            double mean = parameter.mean().item<float>();
            Assert.True(largest <= bound, $"{name}: {largest} > {bound}");
            // A uniform draw fills its interval: the largest magnitude comes close to the bound and the mean near 0.
            Assert.True(largest > 0.8 * bound, $"{name}: {largest} is far inside {bound}");
            Assert.True(Math.Abs(mean) < 0.25 * bound, $"{name}: mean {mean}");
        }
    }

    [Fact]
    public void InitialisationComesFromThePrivateGeneratorOnly()
    {
        using var first = new Generator(5, CPU);
        using var second = new Generator(5, CPU);
        using var other = new Generator(6, CPU);

        torch.manual_seed(123);
        using var globalBefore = torch.rand(4);
        torch.manual_seed(123);
        using var a = new Decoder(first);
        using var globalAfter = torch.rand(4);
        using var b = new Decoder(second);
        using var c = new Decoder(other);

        // The global generator did not advance, the same seed gives the same weights, another seed others.
        Assert.True(globalBefore.Equals(globalAfter));
        foreach (var (pa, pb) in a.parameters().Zip(b.parameters()))
            Assert.True(pa.Equals(pb));
        Assert.False(a.parameters().First().Equals(c.parameters().First()));
    }

    [Fact]
    public void AutoencoderBuildsItsEncoderFirst()
    {
        using var gfeGenerator = new Generator(9, CPU);
        using var aeGenerator = new Generator(9, CPU);
        using var encoderGenerator = new Generator(9, CPU);
        using var decoder = new Decoder(gfeGenerator);
        using var autoencoder = new Autoencoder(aeGenerator);
        using var encoder = new Encoder(encoderGenerator);

        Assert.True(encoder.parameters().First().Equals(autoencoder.Encoder.parameters().First()));
        Assert.False(decoder.parameters().First().Equals(autoencoder.Decoder.parameters().First()));
    }
}
