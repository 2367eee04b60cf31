using Gfe.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// The exact decoder gradient through the second-order <see cref="NesterovFlow"/> (docs/method.md §3b, §3d): the discrete
/// adjoint, i.e. reverse-mode differentiation of the unrolled 3/8-rule RK4 steps of y = (z, m), written out by hand
/// stage by stage. It is the gradient of exactly the z* the run trains on, to rounding, on any grid.
/// </summary>
/// <remarks>
/// Why discrete rather than the continuous adjoint: the backward velocity adjoint obeys dlm/dt = -lz + 3/(t+eps) lm,
/// whose friction is stiff near t = 0 (3/eps = 3e5), and on the coarse grids the runs use (h·3/(t+eps) up to 9 at the
/// first step's stages) any continuous scheme differs from the solve's own derivative by its discretisation error. The
/// transposed RK4 step has no such problem: it reuses the forward's stage times, so the friction enters only as the
/// same finite factors h·3/(t_s+eps) the forward multiplied by, and the one huge factor 3/eps (stage 1 at t = 0) acts
/// on the velocity adjoint of m(0) = 0, which nothing depends on.
/// For F(t, z, m) = (m, -c(t) m - alpha(t) g(z)), g = grad_z L, c = 3/(t+eps), the transposed Jacobian sends a stage
/// cotangent (kz, km) to (-alpha H km, kz - c km), and the stage's parameter cotangent is -alpha ∂theta[km . g(z)]: one
/// <see cref="DecoderRPass"/> per stage gives both. Cost per step: 3 gradients to recompute the stages from the stored
/// (z_k, m_k), and 4 R-passes.
/// </remarks>
public static class NesterovAdjoint
{
    /// <summary>
    /// The flow integral C with dtheta L(z*) = ∂theta L(z*) - C, for <see cref="AdjointGradient.WithFlowCorrection"/>:
    /// the sum over all steps and stages of alpha(t_s) ∂theta[km_s . grad_z L(z_s)], one tensor per decoder parameter
    /// (decoder.parameters() order), detached. The <paramref name="trajectory"/> must come from
    /// <paramref name="flow"/>.Solve with these images: its slopes are the velocities m(t_k). <paramref name="passes"/>:
    /// what evaluates the gradients and the R-passes (null: torch, <see cref="TorchAdjointPasses"/>).
    /// </summary>
    public static Tensor[] FlowIntegral(Decoder decoder, Tensor images, LatentTrajectory trajectory, NesterovFlow flow,
        IAdjointPasses? passes = null)
    {
        if (trajectory.Slopes is null || trajectory.Slopes.Count != trajectory.States.Count)
            throw new ArgumentException("the Nesterov adjoint needs the velocities m(t_k) as the trajectory's slopes");
        var times = trajectory.Times;
        int last = times.Count - 1;
        int size = (int)trajectory.Final.shape[1];
        passes ??= new TorchAdjointPasses(decoder, images);
        if (last < 1) return passes.Integral();

        Tensor Gradient(Tensor z) => passes.Gradient(z);

        // The cotangent of one stage (t_s, Y_s) pulled back through F, with its parameter part added into the integral.
        Tensor Pull(double t, Tensor stage, Tensor cotangent)
        {
            double alpha = flow.Grid.Alpha(t);
            var kz = cotangent[.., ..size];
            var km = cotangent[.., size..];
            var hessianVector = passes.Accumulate(stage[.., ..size], km, alpha);
            return torch.cat([hessianVector.Times(-alpha), kz.Minus(km.Times(flow.Friction(t)))], 1);
        }

        // y-bar at tau: (grad_z L(z*), 0), since L depends on the position only.
        Tensor adjoint;
        using (var start = torch.NewDisposeScope())
        {
            var position = passes.Gradient(trajectory.Final);
            adjoint = torch.cat([position, torch.zeros_like(position)], 1).MoveToOuterDisposeScope();
        }

        for (int k = last - 1; k >= 0; k--)
        {
            using var step = torch.NewDisposeScope();
            double t = times[k], h = times[k + 1] - t;

            // The step's stages, recomputed exactly as Rk4.Step made them in the solve.
            var y1 = torch.cat([trajectory.States[k], trajectory.Slopes[k]], 1);
            var k1 = flow.Slope(Gradient, t, y1);
            var y2 = Rk4.SecondStage<TorchValue>(new(y1), new(k1), h).Tensor;
            var k2 = flow.Slope(Gradient, t + h / 3, y2);
            var y3 = Rk4.ThirdStage<TorchValue>(new(y1), new(k1), new(k2), h).Tensor;
            var k3 = flow.Slope(Gradient, t + 2 * h / 3, y3);
            var y4 = Rk4.FourthStage<TorchValue>(new(y1), new(k1), new(k2), new(k3), h).Tensor;

            // y_{k+1} = y + h/8 (k1 + 3 k2 + 3 k3 + k4), transposed from the last stage back to the first.
            var bar1 = adjoint.Times(h / 8);
            var bar2 = adjoint.Times(3 * h / 8);
            var bar3 = adjoint.Times(3 * h / 8);
            var bar4 = adjoint.Times(h / 8);
            var previous = adjoint.clone();

            var back4 = Pull(t + h, y4, bar4);   // y4 = y + h (k1 - k2 + k3)
            previous.PlusInPlace(back4);
            bar1.PlusScaledInPlace(back4, h);
            bar2.PlusScaledInPlace(back4, -h);
            bar3.PlusScaledInPlace(back4, h);

            var back3 = Pull(t + 2 * h / 3, y3, bar3);   // y3 = y + h (k2 - k1/3)
            previous.PlusInPlace(back3);
            bar2.PlusScaledInPlace(back3, h);
            bar1.PlusScaledInPlace(back3, -h / 3);

            var back2 = Pull(t + h / 3, y2, bar2);   // y2 = y + h/3 k1
            previous.PlusInPlace(back2);
            bar1.PlusScaledInPlace(back2, h / 3);

            previous.PlusInPlace(Pull(t, y1, bar1));
            adjoint = previous.MoveToOuterDisposeScope();
        }
        adjoint.Dispose();   // the cotangent of (z0, m0), which the parameters do not reach
        return passes.Integral();
    }
}
