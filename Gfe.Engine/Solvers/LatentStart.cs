using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Solvers;

/// <summary>The starting point z0 of each latent flow (engine-spec §3, "z0").</summary>
public static class LatentStart
{
    /// <summary>
    /// z0 for <paramref name="count"/> images. Uniform draws come from the run's generator on the CPU, then move to
    /// the device, so a run's latent starts do not depend on the device or on other runs.
    /// </summary>
    public static Tensor Draw(LatentInit init, long count, Generator generator, Device device) => init switch
    {
        LatentInit.Uniform => torch.rand(count, Decoder.LatentSize, generator: generator).to(device),
        LatentInit.Zero => torch.zeros(count, Decoder.LatentSize, device: device),
        _ => throw new ArgumentOutOfRangeException(nameof(init), init, "unknown latent start"),
    };
}
