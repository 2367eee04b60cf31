using System.Diagnostics;
using Gfe.Engine.Checkpoints;
using Gfe.Engine.Data;
using Gfe.Engine.Flows;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// A GFE run with a fixed-grid flow (engine-spec §3a, §3b): gfe-rk4 (GradientFlow) or gfe-nesterov (NesterovFlow).
/// For each batch, encode the images by the flow through the current decoder and take one RMSprop step on
/// L = sum_i l_i(D(z*)), with the approximate gradient (z* constant) or the exact adjoint gradient (§3d;
/// AdjointGradient for gfe-rk4, NesterovAdjoint for gfe-nesterov). Then encode
/// the test images with the same flow through the trained decoder and report the mean loss.
/// </summary>
public static class FlowRun
{
    public static RunResult Execute(
        RunConfig config, DatasetSplits? data, IProgress<RunProgress>? progress, CancellationToken cancel,
        ICheckpointStore? checkpoints = null)
    {
        if (TimeGrid.Problem(config.Flow) is { } problem) throw new RunFailedException(problem);
        var inputs = RunInputs.Prepare(config, data);
        torch.set_num_threads(1);   // one thread per run: runs go side by side (platform.md §1.4)
        using var generator = new Generator((ulong)config.Seed, torch.CPU);
        using var decoder = new Decoder(generator);
        decoder.to(inputs.Device);

        var grid = TimeGrid.From(config.Flow);
        var gradientFlow = new GradientFlow(grid);
        var nesterovFlow = new NesterovFlow(grid, config.Flow.NesterovEps);
        LatentTrajectory Encode(Tensor images, Generator draws)
        {
            var z0 = LatentStart.Draw(config.Flow.Z0, images.shape[0], draws, inputs.Device);
            return config.Method == RunMethod.GfeNesterov
                ? nesterovFlow.Solve(decoder, images, z0)
                : gradientFlow.Solve(decoder, images, z0);
        }
        Tensor Reconstruct(Tensor images, Generator draws) => decoder.forward(Encode(images, draws).Final);

        // A curve evaluation draws its latent starts from a copy of the run's generator (see GfeAmdRun).
        string column = EvaluationName(config.Method);
        var evalImages = inputs.Test.Head(config.EvalSize);
        IReadOnlyDictionary<string, double> Evaluate()
        {
            using var draws = TorchState.Copy(generator);
            double loss = TestEvaluation.MeanLoss(evalImages, config.TestBatchSize, images => Reconstruct(images, draws),
                inputs.Device, null, cancel);
            return new Dictionary<string, double> { [column] = loss };
        }

        var training = TrainingLoop.Run(decoder, images =>
        {
            var trajectory = Encode(images, generator);   // its tensors belong to the training loop's per-batch scope
            var loss = ReconstructionLoss.BatchSum(decoder.forward(trajectory.Final), images);
            if (config.Gradient == GradientMode.Approximate)
                return loss;
            // The Nesterov adjoint is the discrete one, exact for its RK4 steps, so adjoint.stepper does not apply to it.
            var flowIntegral = config.Method == RunMethod.GfeNesterov
                ? NesterovAdjoint.FlowIntegral(decoder, images, trajectory, nesterovFlow)
                : AdjointGradient.FlowIntegral(decoder, images, trajectory, grid.Alpha, config.Flow.AdjointStepper);
            return AdjointGradient.WithFlowCorrection(loss, decoder, flowIntegral);
        }, inputs.Train, config, inputs.Device, progress, cancel, TrainingExtras.ForRun(config, inputs, generator, checkpoints, Evaluate));

        var testClock = Stopwatch.StartNew();
        double testLoss = TestEvaluation.MeanLoss(inputs.Test, config.TestBatchSize,
            images => Reconstruct(images, generator), inputs.Device,
            fraction => progress?.Report(new RunProgress("test", fraction, training.ImagesSeen, training.FinalTrainLoss)),
            cancel);
        double testSeconds = testClock.Elapsed.TotalSeconds;

        TestReconstructions? reconstructions = null;
        if (config.Reconstructions > 0)
        {
            var shown = inputs.Test.Head(config.Reconstructions);
            reconstructions = new TestReconstructions(shown.Pixels, new Dictionary<string, float[]>
            {
                [column] = TestEvaluation.Reconstruct(shown, config.TestBatchSize, images => Reconstruct(images, generator), inputs.Device),
            });
        }

        return new RunResult
        {
            TestLoss = new Dictionary<string, double> { [column] = testLoss },
            FinalTrainLoss = training.FinalTrainLoss,
            ImagesSeen = training.ImagesSeen,
            TestImages = inputs.Test.Count,
            TrainAmd = AmdStatistics.None,
            TestAmd = AmdStatistics.None,
            TrainSeconds = training.Seconds,
            TestSeconds = testSeconds,
            Curve = training.Curve,
            DataProvenance = inputs.Provenance,
            Device = RunInputs.DeviceName(inputs.Device),
            EvalCurve = training.EvalCurve,
            Reconstructions = reconstructions,
            Model = Artifacts.TrainedModel.Capture(decoder),
        };
    }

    /// <summary>The result column of a flow method: GFE-rk4 or GFE-2nd.</summary>
    public static string EvaluationName(RunMethod method) =>
        method == RunMethod.GfeNesterov ? Evaluations.GfeNesterov : Evaluations.GfeRk4;
}
