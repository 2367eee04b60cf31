using Gfe.Engine.Flows;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// The exact adjoint gradient (docs/method.md §3d) of a GFE-amd batch: the flow is AMD's path through its accepted points, with
/// alpha = 1 (AMD's step takes alpha's role). Batch-coupled AMD has one path for the batch; per-sample AMD has one per
/// image, each integrated on its own (images are independent problems, so the integrals add up). The gradients and
/// R-passes come from the run's <see cref="AdjointPassSource"/> (adjoint.kernel: torch or the native kernel), whatever
/// kernel AMD's trials ran on.
/// </summary>
public static class AmdAdjoint
{
    /// <summary>The batch loss sum_i l_i(D(z*)) carrying the adjoint correction in its parameter gradient.</summary>
    public static Tensor Loss(Decoder decoder, AmdSolver solver, Tensor images, Tensor z0, AmdTally tally, AdjointStepper stepper,
        AdjointPassSource passes)
    {
        Tensor[] flowIntegral;
        Tensor latent;
        if (solver.Options.Mode == AmdMode.PerSample)
        {
            int count = (int)images.shape[0];
            var recorders = Enumerable.Range(0, count).Select(_ => new TrajectoryRecorder()).ToArray();
            var solution = solver.Solve(decoder, images, z0, sampleTrajectories: recorders);
            tally.Add(solution.Statistics);
            latent = solution.Latent;
            flowIntegral = decoder.parameters().Select(p => zeros_like(p)).ToArray();
            for (int i = 0; i < count; i++)
            {
                using var path = recorders[i].ToTrajectory();
                var image = images.narrow(0, i, 1);
                var part = AdjointGradient.FlowIntegral(decoder, image, path, _ => 1.0, stepper, passes.Passes(decoder, image));
                for (int j = 0; j < part.Length; j++) flowIntegral[j].PlusInPlace(part[j]);
            }
        }
        else
        {
            var recorder = new TrajectoryRecorder();
            var solution = solver.Solve(decoder, images, z0, trajectory: recorder);
            tally.Add(solution.Statistics);
            latent = solution.Latent;
            using var path = recorder.ToTrajectory();
            flowIntegral = AdjointGradient.FlowIntegral(decoder, images, path, _ => 1.0, stepper, passes.Passes(decoder, images));
        }
        var loss = ReconstructionLoss.BatchSum(decoder.Shape.Loss, decoder.forward(latent), images);
        return AdjointGradient.WithFlowCorrection(loss, decoder, flowIntegral);
    }
}
