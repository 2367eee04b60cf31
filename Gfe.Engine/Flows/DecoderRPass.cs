using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// Pearlmutter's R-pass through the <see cref="Decoder"/> and the eps-BCE <see cref="ReconstructionLoss"/>, written out
/// by hand (engine-spec §3d, FIX): the forward and backward passes of grad_z L, each differentiated in the direction
/// v of z with theta fixed. One pass gives H v (the adjoint's right-hand side) and d/dtheta [v . grad_z L] (the
/// adjoint integrand) for all parameters at once, with no double backward and no autograd graph.
/// The parameter part is accumulated in place (one fused GEMM per layer, no parameter-sized temporaries): the adjoint
/// sums it over the trajectory anyway, and at small batches these outer products are most of the pass's cost.
/// </summary>
/// <remarks>
/// Notation: h_0 = z, a_k = W_k h_{k-1} + b_k, h_k = ELU(a_k) for k = 1..3, y = W_4 h_3 + b_4; delta_k = dL/da_k.
/// ELU'(a) = exp(min(a, 0)) and ELU''(a) = exp(a) for a &lt;= 0, else 0 (alpha = 1).
/// </remarks>
public static class DecoderRPass
{
    /// <summary>
    /// H v and grad_z L at z [B, 20] in direction v [B, 20]. If <paramref name="parameterSum"/> is given (one tensor
    /// per decoder parameter, decoder.parameters() order), weight * d/dtheta [v . grad_z L] is added into it.
    /// </summary>
    public static RPassResult Run(Decoder decoder, Tensor images, Tensor z, Tensor v,
        IReadOnlyList<Tensor>? parameterSum = null, double weight = 1)
    {
        if (z.shape.Length != 2 || z.shape[1] != Decoder.LatentSize || !v.shape.SequenceEqual(z.shape))
            throw new ArgumentException($"z and v must both be [B, {Decoder.LatentSize}]");
        using var noGrad = torch.no_grad();
        var layers = decoder.Layers;
        var weights = layers.Select(l => (Tensor)l.weight!).ToArray();
        var biases = layers.Select(l => (Tensor)l.bias!).ToArray();
        int hidden = weights.Length - 1;

        // Forward with its R-forward: h, ELU'(a), ELU''(a), R{a}, R{h}.
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
            slope[k] = a.NonPositivePart().exp();
            curvature[k] = slope[k] * a.AtMostZero().to(a.dtype);
            h[k] = a.Elu();
            ra[k] = rh[k - 1].matmul(weights[k - 1].t());
            rh[k] = slope[k] * ra[k];
        }
        var y = nn.functional.linear(h[hidden], weights[hidden], biases[hidden]);
        var ry = rh[hidden].matmul(weights[hidden].t());

        // dl/dy and d2l/dy2 of the eps-BCE (engine-spec §2), elementwise; 1/D from the pixel mean.
        double eps = ReconstructionLoss.Epsilon, perPixel = 1.0 / y.shape[1];
        var p = y.sigmoid();
        var q = p * p.SubtractedFrom(1);
        var notP = p.SubtractedFrom(1).PlusNumber(eps);   // 1 - p + eps
        var pEps = p.PlusNumber(eps);                     // p + eps
        var dark = images.SubtractedFrom(1) / notP;
        var bright = images / pEps;
        var contrast = dark.Minus(bright);
        var delta = (q * contrast).Times(perPixel);
        // (q (1 - 2p)(dark - bright) + q^2 (dark / (1 - p + eps) + bright / (p + eps))) / D * R{y}
        var rdelta = (q * p.Times(2).SubtractedFrom(1) * contrast).Plus(q * q * (dark / notP).Plus(bright / pEps)).Times(perPixel) * ry;

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
