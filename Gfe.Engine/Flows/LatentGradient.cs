using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>The right-hand side of every latent flow: grad_z L(z) for the batch loss L = sum_i l_i (docs/method.md §3).</summary>
public static class LatentGradient
{
    /// <summary>
    /// grad_z L [B, latentDim], detached: the input gradient only, so flow increments are constants with respect to theta.
    /// Samples are independent, so row i is grad l_i. Works inside no_grad scopes (test encoding).
    /// </summary>
    public static Tensor Of(Decoder decoder, Tensor images, Tensor z)
    {
        using var gradMode = torch.enable_grad();
        var leaf = z.detach().requires_grad_(true);
        // TorchSharp aborts the whole process on autograd.grad of an input that does not require grad.
        if (!leaf.requires_grad)
            throw new InvalidOperationException("flow latent does not require grad; cannot take the flow gradient");
        var loss = ReconstructionLoss.BatchSum(decoder.Shape.Loss, decoder.forward(leaf), images);
        return torch.autograd.grad([loss], [leaf])[0].detach();
    }
}
