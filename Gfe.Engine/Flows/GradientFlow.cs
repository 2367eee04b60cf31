using Gfe.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// GFE's basic gradient flow dz/dt = -alpha(t) grad_z l(z), integrated by fixed-grid RK4 (3/8 rule) on a
/// <see cref="TimeGrid"/>, with no substeps: the reference's <c>GFlow_approx</c> (docs/method.md §3a). z* = z(t_{N-1}).
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
        Tensor Slope(double t, Tensor z) => gradient(z).Times(-grid.Alpha(t));
        var times = grid.Times;
        var states = new List<Tensor> { z0.detach().clone() };
        var slopes = new List<Tensor>();
        using (var first = torch.NewDisposeScope())
            slopes.Add(Slope(times[0], states[0]).MoveToOuterDisposeScope());
        for (int k = 0; k + 1 < times.Count; k++)
        {
            using var step = torch.NewDisposeScope();
            var next = Rk4.Step(Slope, times[k], times[k + 1] - times[k], states[k], slopes[k]);
            states.Add(next.MoveToOuterDisposeScope());
            slopes.Add(Slope(times[k + 1], next).MoveToOuterDisposeScope());
        }
        return new LatentTrajectory(times, states, slopes);
    }
}
