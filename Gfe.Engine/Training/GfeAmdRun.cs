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
/// A GFE-amd run (engine-spec §3e, §4): for each batch, encode the images with AMD through the current decoder,
/// treat the codes z* as constants (the approximate gradient, PARITY) or differentiate through the flow (the exact
/// adjoint, spec §3d), and take one RMSprop step on L = sum_i l_i(D(z*)). Then encode the test images with AMD through the trained decoder and report the mean loss.
/// </summary>
public static class GfeAmdRun
{
    public static RunResult Execute(
        RunConfig config, DatasetSplits? data, IProgress<RunProgress>? progress, CancellationToken cancel,
        ICheckpointStore? checkpoints = null)
    {
        var inputs = RunInputs.Prepare(config, data);
        torch.set_num_threads(1);   // one thread per run: runs go side by side (platform.md §1.4)
        using var generator = new Generator((ulong)config.Seed, torch.CPU);
        using var decoder = new Decoder(generator);
        decoder.to(inputs.Device);
        var solver = new AmdSolver(config.Amd);

        // A curve evaluation encodes with a copy of the run's generator: it sees the latent starts the final test
        // would see at that moment, and leaves training's draws untouched.
        var evalImages = inputs.Test.Head(config.EvalSize);
        IReadOnlyDictionary<string, double> Evaluate()
        {
            using var draws = TorchState.Copy(generator);
            var (loss, _) = TestEvaluation.AmdLoss(decoder, solver, evalImages, config, draws, inputs.Device, null, cancel);
            return new Dictionary<string, double> { [Evaluations.GfeAmd] = loss };
        }

        var trainAmd = new AmdTally();
        var training = TrainingLoop.Run(decoder, images =>
        {
            var z0 = LatentStart.Draw(config.Z0, images.shape[0], generator, inputs.Device);
            if (config.Gradient == GradientMode.Approximate)
            {
                var solution = solver.Solve(decoder, images, z0);   // z* comes back detached
                trainAmd.Add(solution.Statistics);
                return ReconstructionLoss.BatchSum(decoder.forward(solution.Latent), images);
            }
            return AmdAdjoint.Loss(decoder, solver, images, z0, trainAmd, config.Flow.AdjointStepper);
        }, inputs.Train, config, inputs.Device, progress, cancel, TrainingExtras.ForRun(config, inputs, generator, checkpoints, Evaluate, trainAmd));

        var testClock = Stopwatch.StartNew();
        var (testLoss, testAmd) = TestEvaluation.AmdLoss(decoder, solver, inputs.Test, config, generator, inputs.Device,
            fraction => progress?.Report(new RunProgress("test", fraction, training.ImagesSeen, training.FinalTrainLoss)),
            cancel);
        double testSeconds = testClock.Elapsed.TotalSeconds;

        TestReconstructions? reconstructions = null;
        if (config.Reconstructions > 0)
        {
            var shown = inputs.Test.Head(config.Reconstructions);
            reconstructions = new TestReconstructions(shown.Pixels, new Dictionary<string, float[]>
            {
                [Evaluations.GfeAmd] = TestEvaluation.Reconstruct(shown, config.TestBatchSize,
                    images => decoder.forward(solver.Solve(decoder, images,
                        LatentStart.Draw(config.Z0, images.shape[0], generator, inputs.Device)).Latent), inputs.Device),
            });
        }

        return new RunResult
        {
            TestLoss = new Dictionary<string, double> { [Evaluations.GfeAmd] = testLoss },
            FinalTrainLoss = training.FinalTrainLoss,
            ImagesSeen = training.ImagesSeen,
            TestImages = inputs.Test.Count,
            TrainAmd = trainAmd.Total,
            TestAmd = testAmd,
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
}
