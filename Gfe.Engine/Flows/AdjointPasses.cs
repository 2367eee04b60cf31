using Gfe.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// What the exact adjoints (<see cref="AdjointGradient"/>, <see cref="NesterovAdjoint"/>) ask of the decoder for one
/// batch of images: grad_z L, the R-pass's H v, and the flow integral of d/dtheta [v . grad_z L] that the R-passes add
/// up. Two implementations: <see cref="TorchAdjointPasses"/> (<see cref="DecoderRPass"/>, flow.kernel torch) and
/// <see cref="KernelAdjointPasses"/> (the native <c>DecoderKernel.RPass</c>, flow.kernel native).
/// </summary>
public interface IAdjointPasses
{
    /// <summary>grad_z L at z [B, latent].</summary>
    Tensor Gradient(Tensor z);

    /// <summary>H v at z in direction v, without touching the integral.</summary>
    Tensor HessianVector(Tensor z, Tensor v);

    /// <summary>H v at z in direction v, adding weight * d/dtheta [v . grad_z L] into the integral.</summary>
    Tensor Accumulate(Tensor z, Tensor v, double weight);

    /// <summary>The integral so far: one detached tensor per decoder parameter, decoder.parameters() order.</summary>
    Tensor[] Integral();
}

/// <summary>The torch R-pass (<see cref="DecoderRPass"/>), the integral in float tensors shaped as the parameters.</summary>
public sealed class TorchAdjointPasses : IAdjointPasses
{
    readonly Decoder decoder;
    readonly Tensor images;
    readonly Tensor[] integral;

    public TorchAdjointPasses(Decoder decoder, Tensor images)
    {
        this.decoder = decoder;
        this.images = images;
        integral = decoder.parameters().Select(p => torch.zeros_like(p, requires_grad: false)).ToArray();
    }

    public Tensor Gradient(Tensor z) => LatentGradient.Of(decoder, images, z);

    public Tensor HessianVector(Tensor z, Tensor v) => DecoderRPass.Run(decoder, images, z, v).HessianVector;

    public Tensor Accumulate(Tensor z, Tensor v, double weight) =>
        DecoderRPass.Run(decoder, images, z, v, integral, weight).HessianVector;

    public Tensor[] Integral() => integral;
}
