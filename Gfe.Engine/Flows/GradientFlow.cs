using Gfe.Engine.Models;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// GFE's basic gradient flow dz/dt = -alpha(t) grad_z l(z), integrated by fixed-grid RK4 (3/8 rule) on a
/// <see cref="TimeGrid"/>, with no substeps: the reference's <c>GFlow_approx</c> (docs/method.md §3a). z* = z(t_{N-1}).
/// The algorithm is <see cref="FlowRule{T}"/> on tensors.
/// </summary>
public sealed class GradientFlow(TimeGrid grid)
{
    public TimeGrid Grid => grid;

    /// <summary>Encodes <paramref name="images"/> [B, 784] through the <paramref name="decoder"/>'s loss from z0 [B, 20].</summary>
    public LatentTrajectory Solve(Decoder decoder, Tensor images, Tensor z0) =>
        Solve(z => LatentGradient.Of(decoder, images, z), z0);

    /// <summary>
    /// The flow for any gradient field (tests pass plain functions). Returns every grid-point state with its slope
    /// dz/dt; the last slope costs one gradient more than the 4(N-1) of the steps, and gives the adjoint's a(tau).
    /// </summary>
    public LatentTrajectory Solve(Func<Tensor, Tensor> gradient, Tensor z0)
    {
        var states = new List<Tensor>();
        var slopes = new List<Tensor>();
        new FlowRule<TorchValue>(grid, nesterov: false, eps: 0).Solve(Field(gradient), [new(z0.detach().clone())], slopeAtEnd: true,
            (z, slope) => { states.Add(z[0].Tensor); slopes.Add(slope[0].Tensor); });
        return new LatentTrajectory(grid.Times, states, slopes);
    }

    /// <summary>A tensor gradient field as the rule's: the latents are one value, one tensor.</summary>
    internal static FlowRule<TorchValue>.Gradient Field(Func<Tensor, Tensor> gradient) => (z, g) => g[0] = new(gradient(z[0].Tensor));
}
