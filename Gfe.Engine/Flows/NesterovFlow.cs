using Gfe.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// GFE's second-order (Nesterov) flow, the reference's <c>GFlow_mom</c> (docs/method.md §3b): the state (z, m) starts at
/// (z0, 0) and follows dz/dt = m, dm/dt = -3/(t + eps) m - alpha(t) grad_z l(z), by the same fixed-grid RK4 on the same
/// grid. (Paper eq. 5 writes +grad l: a sign typo.) The encoding is the position z at the last grid point.
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
    /// their slopes. Position and velocity travel side by side as one [B, 40] state through <see cref="Rk4"/>.
    /// </summary>
    public LatentTrajectory Solve(Func<Tensor, Tensor> gradient, Tensor z0)
    {
        int size = (int)z0.shape[1];
        Tensor Derivative(double t, Tensor state) => Slope(gradient, t, state);

        var times = grid.Times;
        var states = new List<Tensor>();
        var slopes = new List<Tensor>();
        var current = torch.cat([z0.detach(), torch.zeros_like(z0)], 1);
        var k1 = Derivative(times[0], current);
        for (int k = 0; ; k++)
        {
            states.Add(current[.., ..size].clone());
            slopes.Add(current[.., size..].clone());
            if (k + 1 == times.Count) break;
            using var step = torch.NewDisposeScope();
            var next = Rk4.Step(Derivative, times[k], times[k + 1] - times[k], current, k1);
            // The next step's k1; not needed after the last grid point.
            var nextK1 = k + 2 < times.Count ? Derivative(times[k + 1], next) : next;
            current = next.MoveToOuterDisposeScope();
            k1 = nextK1.MoveToOuterDisposeScope();
        }
        return new LatentTrajectory(times, states, slopes);
    }

    /// <summary>
    /// The right-hand side F(t, (z, m)) = (m, -3/(t + eps) m - alpha(t) grad l(z)) on the stacked [B, 40] state.
    /// Public so that <see cref="NesterovAdjoint"/> recomputes the RK4 stages exactly as the solve made them.
    /// </summary>
    public Tensor Slope(Func<Tensor, Tensor> gradient, double t, Tensor state)
    {
        int size = (int)state.shape[1] / 2;
        var z = state[.., ..size];
        var m = state[.., size..];
        // At t = 0 the friction is finite only because of eps; there m = 0 (the flow starts at rest), so it adds 0.
        var dm = m.Times(-Friction(t)).Minus(gradient(z).Times(grid.Alpha(t)));
        return torch.cat([m, dm], 1);
    }

    /// <summary>The friction coefficient 3/(t + eps).</summary>
    public double Friction(double t) => 3.0 / (t + eps);
}
