using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// The exact decoder gradient through a first-order latent flow dz/dt = -alpha(t) grad_z l(z) (docs/method.md §3d, in the
/// code's sign convention): a(tau) = grad_z l(z(tau)), da/dt = +alpha(t) H(z(t)) a integrated backwards to t_0, and
/// dtheta l(z(tau)) = ∂theta l(z(tau)) - ∫ alpha(t) ∂theta[a(t) . grad_z l(z(t))] dt.
/// </summary>
/// <remarks>
/// FIX form: H a and the integrand come from one <see cref="DecoderRPass"/> per point, for all 8 parameter tensors at
/// once; the integral is a trapezoid rule with the true time steps over the stored trajectory points, so linear, log
/// and AMD grids are all handled. Works for any <see cref="LatentTrajectory"/>, AMD's accepted points included.
/// </remarks>
public static class AdjointGradient
{
    /// <summary>
    /// The flow integral ∫ alpha(t) ∂theta[a(t) . grad_z L(z(t))] dt over the <paramref name="trajectory"/>, as one
    /// tensor per decoder parameter (decoder.parameters() order), detached. <paramref name="passes"/>: what evaluates
    /// the gradient and the R-passes (null: torch, <see cref="TorchAdjointPasses"/>).
    /// </summary>
    public static Tensor[] FlowIntegral(
        Decoder decoder, Tensor images, LatentTrajectory trajectory, Func<double, double> alpha, AdjointStepper stepper,
        IAdjointPasses? passes = null)
    {
        var times = trajectory.Times;
        int last = times.Count - 1;
        passes ??= new TorchAdjointPasses(decoder, images);
        if (last < 1) return passes.Integral();   // a flow that never moved has nothing to integrate

        // H a at time t: the adjoint's right-hand side between grid points, where the integrand is not needed.
        Tensor AdjointSlope(double t, Tensor a) => passes.HessianVector(trajectory.At(t), a).Times(alpha(t));

        Tensor adjoint;
        using (var start = torch.NewDisposeScope())
            adjoint = passes.Gradient(trajectory.States[last]).MoveToOuterDisposeScope();

        for (int k = last; k >= 0; k--)
        {
            using var step = torch.NewDisposeScope();
            // At a trajectory point one pass gives both the integrand and the first stage of the backward step.
            // The trapezoid weight of point k: alpha there times half of each neighbouring interval.
            double before = k > 0 ? times[k] - times[k - 1] : 0, after = k < last ? times[k + 1] - times[k] : 0;
            double weight = alpha(times[k]) * (before + after) / 2;
            var hessianVector = passes.Accumulate(trajectory.States[k], adjoint, weight);
            if (k == 0) break;

            var slope = hessianVector.Times(alpha(times[k]));
            var next = stepper == AdjointStepper.Rk4
                ? Rk4.Step(AdjointSlope, times[k], -before, adjoint, slope)
                : adjoint.Minus(slope.Times(before));
            adjoint = next.MoveToOuterDisposeScope();
        }
        return passes.Integral();
    }

    /// <summary>
    /// Returns a loss whose value is <paramref name="loss"/> unchanged but whose parameter gradient is
    /// d loss/dtheta - <paramref name="flowIntegral"/>: the term sum_j ((theta_j - detach(theta_j)) . C_j) is exactly 0
    /// yet has gradient C_j. So the adjoint correction rides along the ordinary backward of the training loop.
    /// </summary>
    public static Tensor WithFlowCorrection(Tensor loss, Decoder decoder, IReadOnlyList<Tensor> flowIntegral)
    {
        var parameters = decoder.parameters().ToArray();
        var corrected = loss;
        for (int j = 0; j < parameters.Length; j++)
            corrected = corrected.Minus((parameters[j].Minus(parameters[j].detach()) * flowIntegral[j]).sum());
        return corrected;
    }
}
