using Gfe.Engine.Models;
using Gfe.Engine.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>The project's RMSprop against TorchSharp's: the same numbers bit for bit, and a state that restores.</summary>
public class RmsPropTests
{
    /// <summary>Two identical decoders, a few steps on the same batches: ours vs torch.optim.RMSProp.</summary>
    [Fact]
    public void Steps_MatchTorchSharpsRmsProp_BitForBit()
    {
        using var g1 = new Generator(11, CPU);
        using var g2 = new Generator(11, CPU);
        var ours = new Decoder(g1);
        var theirs = new Decoder(g2);
        using var optimizer = new RmsProp(ours.parameters(), 5e-4, 0.9, 1e-6);
        using var reference = torch.optim.RMSProp(theirs.parameters(), 5e-4, 0.9, 1e-6);
        using var data = new Generator(3, CPU);

        for (int step = 0; step < 4; step++)
        {
            using var scope = torch.NewDisposeScope();
            var z = torch.rand(6, Decoder.LatentSize, generator: data);
            var target = torch.rand(6, 784, generator: data);
            optimizer.ZeroGrad();
            nn.functional.mse_loss(ours.forward(z), target).backward();
            optimizer.Step();
            reference.zero_grad();
            nn.functional.mse_loss(theirs.forward(z), target).backward();
            reference.step();
        }

        foreach (var (a, b) in ours.parameters().Zip(theirs.parameters()))
            Assert.Equal(b.data<float>().ToArray(), a.data<float>().ToArray());
        Assert.Equal(4, optimizer.Steps);
    }

    [Fact]
    public void SavedState_RestoresIntoAFreshOptimizer_AndForeignBytesAreRefused()
    {
        using var generator = new Generator(2, CPU);
        var decoder = new Decoder(generator);
        using var optimizer = new RmsProp(decoder.parameters(), 1e-3, 0.9, 1e-6);
        using (var scope = torch.NewDisposeScope())
        {
            decoder.forward(torch.ones(2, Decoder.LatentSize)).sum().backward();
            optimizer.Step();
        }
        var state = optimizer.SaveState();

        using var fresh = new RmsProp(decoder.parameters(), 1e-3, 0.9, 1e-6);
        Assert.True(fresh.TryRestoreState(state));
        Assert.Equal(1, fresh.Steps);
        Assert.Equal(state, fresh.SaveState());

        Assert.False(fresh.TryRestoreState([1, 2, 3]));
        Assert.False(fresh.TryRestoreState(state[..^4]));
        using var other = new RmsProp(new Encoder(generator).parameters(), 1e-3, 0.9, 1e-6);
        Assert.False(other.TryRestoreState(state));
    }
}
