using Gfe.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// GFE's second-order (Nesterov) flow, the reference's <c>GFlow_mom</c> (docs/method.md §3b): the state (z, m) starts at
/// (z0, 0) and follows dz/dt = m, dm/dt = -3/(t + eps) m - alpha(t) grad_z l(z), by the same fixed-grid RK4 on the same
/// grid. (Paper eq. 5 writes +grad l: a sign typo.) The encoding is the position z at the last grid point. The algorithm
/// is <see cref="FlowRule{T}"/> on tensors, with z and m as two values.
/// </summary>
public sealed class NesterovFlow(TimeGrid grid, double eps)
{
    public TimeGrid Grid => grid;

    /// <summary>eps in the friction 3/(t + eps).</summary>
    public double Eps => eps;

    public LatentTrajectory Solve(Decoder decoder, Tensor images, Tensor z0) =>
        Solve(z => LatentGradient.Of(decoder, images, z), z0);

    /// <summary>
    /// The flow for any gradient field. The trajectory holds the positions z(t_k), with the velocities m(t_k) as
    /// their slopes.
    /// </summary>
    public LatentTrajectory Solve(Func<Tensor, Tensor> gradient, Tensor z0)
    {
        var states = new List<Tensor>();
        var slopes = new List<Tensor>();
        new FlowRule<TorchValue>(grid, nesterov: true, eps).Solve(GradientFlow.Field(gradient), [new(z0.detach().clone())],
            slopeAtEnd: false, (z, m) => { states.Add(z[0].Tensor); slopes.Add(m[0].Tensor); });
        return new LatentTrajectory(grid.Times, states, slopes);
    }

    /// <summary>
    /// The right-hand side F(t, (z, m)) = (m, -3/(t + eps) m - alpha(t) grad l(z)) on the stacked [B, 2 latent] state.
    /// Public so that <see cref="NesterovAdjoint"/> recomputes the RK4 stages exactly as the solve made them.
    /// </summary>
    public Tensor Slope(Func<Tensor, Tensor> gradient, double t, Tensor state)
    {
        int size = (int)state.shape[1] / 2;
        var slope = new TorchValue[2];
        // z as the solve holds it, a tensor of its own: a strided view of the stacked state could take another path
        // through the decoder's matrix products, and round differently, on some CPUs.
        new FlowRule<TorchValue>(grid, nesterov: true, eps).Slope(GradientFlow.Field(gradient), t,
            [new(state[.., ..size].contiguous()), new(state[.., size..])], slope);
        return torch.cat([slope[0].Tensor, slope[1].Tensor], 1);
    }

    /// <summary>The friction coefficient 3/(t + eps).</summary>
    public double Friction(double t) => Friction(t, eps);

    /// <summary>The friction coefficient 3/(t + eps), for every flow that needs it (<see cref="FlowRule{T}"/>).</summary>
    public static double Friction(double t, double eps) => 3.0 / (t + eps);
}
