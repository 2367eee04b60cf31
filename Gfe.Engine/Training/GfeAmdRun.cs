using Gfe.Engine.Flows;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// GFE-amd (docs/method.md §3e, §4): for each batch, encode the data with AMD through the current decoder, treat the
/// codes z* as constants (the approximate gradient, PARITY) or differentiate through the flow (the exact adjoint,
/// docs/method.md §3d; its R-passes on adjoint.kernel's choice), and take one RMSprop step on L = sum_i l_i(D(z*)). Tested by encoding the test data with AMD through
/// the trained decoder. The rest of the run is the common <see cref="TorchRun"/>.
/// </summary>
public static class GfeAmdRun
{
    public static RunModel Build(RunConfig config, ModelShape shape, Generator generator, Device device)
    {
        var decoder = new Decoder(shape, generator);
        decoder.to(device);
        var solver = new AmdSolver(config.Amd);
        var trainAmd = new AmdTally();
        var adjointPasses = config.Gradient == GradientMode.Adjoint ? AdjointPassSource.For(config) : null;

        Tensor BatchLoss(Tensor images)
        {
            var z0 = LatentStart.Draw(config.Z0, images.shape[0], shape.LatentDim, generator, device);
            if (config.Gradient == GradientMode.Approximate)
            {
                var solution = solver.Solve(decoder, images, z0);   // z* comes back detached
                trainAmd.Add(solution.Statistics);
                return ReconstructionLoss.BatchSum(shape.Loss, decoder.forward(solution.Latent), images);
            }
            return AmdAdjoint.Loss(decoder, solver, images, z0, trainAmd, config.Flow.AdjointStepper, adjointPasses!);
        }

        return new RunModel(decoder, BatchLoss,
            [new RunEvaluation(Evaluations.GfeAmd, (images, draws, amd) => TestEvaluation.AmdEncode(decoder, solver, images, config.Z0, draws, amd))],
            trainAmd,
            () => Artifacts.TrainedModel.Capture(decoder));
    }
}
