using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Solvers;

/// <summary>The starting point z0 of each latent flow (docs/method.md §3, "z0").</summary>
public static class LatentStart
{
    /// <summary>
    /// z0 [count, latentDim] for <paramref name="count"/> images. Uniform draws come from the run's generator on the
    /// CPU, then move to the device, so a run's latent starts do not depend on the device or on other runs.
    /// </summary>
    public static Tensor Draw(LatentInit init, long count, int latentDim, Generator generator, Device device) => init switch
    {
        LatentInit.Uniform => torch.rand(count, latentDim, generator: generator).to(device),
        LatentInit.Zero => torch.zeros(count, latentDim, device: device),
        _ => throw new ArgumentOutOfRangeException(nameof(init), init, "unknown latent start"),
    };

    /// <summary>z0 of the paper's model (latentDim 20).</summary>
    public static Tensor Draw(LatentInit init, long count, Generator generator, Device device) =>
        Draw(init, count, ModelShape.Paper.LatentDim, generator, device);
}
