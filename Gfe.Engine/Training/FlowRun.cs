using Gfe.Engine.Flows;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// GFE with a fixed-grid flow (docs/method.md §3a, §3b): gfe-rk4 (GradientFlow) or gfe-nesterov (NesterovFlow). For each
/// batch, encode the data by the flow through the current decoder and take one RMSprop step on L = sum_i l_i(D(z*)),
/// with the approximate gradient (z* constant) or the exact adjoint gradient (§3d; AdjointGradient for gfe-rk4,
/// NesterovAdjoint for gfe-nesterov). Tested by encoding the test data with the same flow through the trained decoder.
/// The rest of the run is the common <see cref="TorchRun"/>.
/// </summary>
public static class FlowRun
{
    public static RunModel Build(RunConfig config, ModelShape shape, Generator generator, Device device)
    {
        var decoder = new Decoder(shape, generator);
        decoder.to(device);

        var grid = TimeGrid.From(config.Flow);
        bool nesterov = config.Method == RunMethod.GfeNesterov;
        var gradientFlow = new GradientFlow(grid);
        var nesterovFlow = new NesterovFlow(grid, config.Flow.NesterovEps);
        // flow.kernel, auto resolved as for amd.kernel (AmdKernels.Ran records the same resolution): the host kernel
        // solves the flow; with the adjoint it keeps the path, and the adjoint's gradients and R-passes follow the same
        // setting (AdjointPassSource.For).
        var native = AmdKernels.Resolve(config.Flow.Kernel) == AmdKernel.Native
            ? new KernelFlows(grid, nesterov, config.Flow.NesterovEps)
            : null;
        bool keepPath = config.Gradient == GradientMode.Adjoint;
        var adjointPasses = keepPath ? AdjointPassSource.For(config) : null;
        LatentTrajectory Encode(Tensor images, Generator draws, bool path)
        {
            var z0 = LatentStart.Draw(config.Flow.Z0, images.shape[0], shape.LatentDim, draws, device);
            if (native is not null) return native.Solve(decoder, images, z0, path);
            return nesterov ? nesterovFlow.Solve(decoder, images, z0) : gradientFlow.Solve(decoder, images, z0);
        }

        Tensor BatchLoss(Tensor images)
        {
            var trajectory = Encode(images, generator, keepPath);   // its tensors belong to the training loop's per-batch scope
            var loss = ReconstructionLoss.BatchSum(shape.Loss, decoder.forward(trajectory.Final), images);
            if (config.Gradient == GradientMode.Approximate)
                return loss;
            // The Nesterov adjoint is the discrete one, exact for its RK4 steps, so adjoint.stepper does not apply to it.
            var passes = adjointPasses!.Passes(decoder, images);
            var flowIntegral = config.Method == RunMethod.GfeNesterov
                ? NesterovAdjoint.FlowIntegral(decoder, images, trajectory, nesterovFlow, passes)
                : AdjointGradient.FlowIntegral(decoder, images, trajectory, grid.Alpha, config.Flow.AdjointStepper, passes);
            return AdjointGradient.WithFlowCorrection(loss, decoder, flowIntegral);
        }

        return new RunModel(decoder, BatchLoss,
            [new RunEvaluation(EvaluationName(config.Method), (images, draws, _) => decoder.forward(Encode(images, draws, path: false).Final))],
            new AmdTally(),
            () => Artifacts.TrainedModel.Capture(decoder));
    }

    /// <summary>The result column of a flow method: GFE-rk4 or GFE-2nd.</summary>
    public static string EvaluationName(RunMethod method) =>
        method == RunMethod.GfeNesterov ? Evaluations.GfeNesterov : Evaluations.GfeRk4;
}
