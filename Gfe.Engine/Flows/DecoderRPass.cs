using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// Pearlmutter's R-pass through the <see cref="Decoder"/> and its <see cref="ReconstructionLoss"/>, written out by hand
/// (docs/method.md §3d, FIX): the forward and backward passes of grad_z L, each differentiated in the direction v of z
/// with theta fixed. One pass gives H v (the adjoint's right-hand side) and d/dtheta [v . grad_z L] (the adjoint
/// integrand) for all parameters at once, with no double backward and no autograd graph. Any widths, any of the
/// <see cref="ActivationFunctions"/>, either loss: the decoder's <see cref="Decoder.Shape"/> says which.
/// The parameter part is accumulated in place (one fused GEMM per layer, no parameter-sized temporaries): the adjoint
/// sums it over the trajectory anyway, and at small batches these outer products are most of the pass's cost.
/// </summary>
/// <remarks>
/// Notation: h_0 = z, a_k = W_k h_{k-1} + b_k, h_k = sigma(a_k) for the hidden layers k = 1..K, y = W_{K+1} h_K +
/// b_{K+1}; delta_k = dL/da_k. sigma' and sigma'' come from <see cref="ActivationFunctions.Derivatives"/>, dl/dy and
/// d2l/dy2 from <see cref="ReconstructionLoss.Derivatives"/>.
/// </remarks>
public static class DecoderRPass
{
    /// <summary>
    /// H v and grad_z L at z [B, latentDim] in direction v [B, latentDim]. If <paramref name="parameterSum"/> is given
    /// (one tensor per decoder parameter, decoder.parameters() order), weight * d/dtheta [v . grad_z L] is added into it.
    /// </summary>
    public static RPassResult Run(Decoder decoder, Tensor images, Tensor z, Tensor v,
        IReadOnlyList<Tensor>? parameterSum = null, double weight = 1)
    {
        var shape = decoder.Shape;
        if (z.shape.Length != 2 || z.shape[1] != shape.LatentDim || !v.shape.SequenceEqual(z.shape))
            throw new ArgumentException($"z and v must both be [B, {shape.LatentDim}]");
        using var noGrad = torch.no_grad();
        var layers = decoder.Layers;
        var weights = layers.Select(l => (Tensor)l.weight!).ToArray();
        var biases = layers.Select(l => (Tensor)l.bias!).ToArray();
        int hidden = weights.Length - 1;

        // Forward with its R-forward: h, sigma'(a), sigma''(a), R{a}, R{h}.
        var h = new Tensor[hidden + 1];
        var slope = new Tensor[hidden + 1];
        var curvature = new Tensor[hidden + 1];
        var ra = new Tensor[hidden + 1];
        var rh = new Tensor[hidden + 1];
        h[0] = z;
        rh[0] = v;
        for (int k = 1; k <= hidden; k++)
        {
            var a = nn.functional.linear(h[k - 1], weights[k - 1], biases[k - 1]);
            (slope[k], curvature[k]) = ActivationFunctions.Derivatives(shape.Activation, a);
            h[k] = ActivationFunctions.Apply(shape.Activation, a);
            ra[k] = rh[k - 1].matmul(weights[k - 1].t());
            rh[k] = slope[k] * ra[k];
        }
        var y = nn.functional.linear(h[hidden], weights[hidden], biases[hidden]);
        var ry = rh[hidden].matmul(weights[hidden].t());

        // dl/dy and its R-derivative d2l/dy2 * R{y} (the loss's Hessian in y is diagonal).
        var (delta, lossCurvature) = ReconstructionLoss.Derivatives(shape.Loss, y, images);
        var rdelta = lossCurvature * ry;

        // Backward with its R-backward, from the output layer down to z.
        if (parameterSum is not null && parameterSum.Count != 2 * weights.Length)
            throw new ArgumentException($"the parameter sum needs {2 * weights.Length} tensors, not {parameterSum.Count}");
        for (int k = hidden; ; k--)
        {
            if (parameterSum is not null)
            {
                // R{dL/dW} = R{delta}^T h + delta^T R{h}, as one GEMM over the stacked batch; R{dL/db} = sum R{delta}.
                parameterSum[2 * k].addmm_(torch.cat([rdelta, delta], 0).t().Times(weight), torch.cat([h[k], rh[k]], 0));
                parameterSum[2 * k + 1].PlusScaledInPlace(rdelta.sum([0]), weight);
            }
            var dh = delta.matmul(weights[k]);
            var rdh = rdelta.matmul(weights[k]);
            if (k == 0)
                return new RPassResult(dh, rdh);
            delta = dh * slope[k];
            rdelta = (rdh * slope[k]).Plus(dh * curvature[k] * ra[k]);
        }
    }
}
