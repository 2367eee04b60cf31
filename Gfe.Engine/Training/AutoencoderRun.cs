using System.Diagnostics;
using Gfe.Engine.Checkpoints;
using Gfe.Engine.Data;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// An AE run (engine-spec §4): train encoder and decoder together on L = sum_i l_i(D(E(x_i))), one RMSprop step per
/// batch. Evaluated twice: as "AE" (test images through the encoder) and as "Mixed" (the AE's decoder alone, test
/// images encoded with AMD, as GFE-amd would).
/// </summary>
public static class AutoencoderRun
{
    public static RunResult Execute(
        RunConfig config, DatasetSplits? data, IProgress<RunProgress>? progress, CancellationToken cancel,
        ICheckpointStore? checkpoints = null)
    {
        var inputs = RunInputs.Prepare(config, data);
        torch.set_num_threads(1);   // one thread per run: runs go side by side (platform.md §1.4)
        using var generator = new Generator((ulong)config.Seed, torch.CPU);
        using var autoencoder = new Autoencoder(generator);
        autoencoder.to(inputs.Device);
        var solver = new AmdSolver(config.Amd);

        // The Mixed evaluation of a curve point draws from a copy of the run's generator (see GfeAmdRun).
        var evalImages = inputs.Test.Head(config.EvalSize);
        IReadOnlyDictionary<string, double> Evaluate()
        {
            double aeLoss = TestEvaluation.MeanLoss(evalImages, config.TestBatchSize, autoencoder.forward, inputs.Device, null, cancel);
            using var draws = TorchState.Copy(generator);
            var (mixedLoss, _) = TestEvaluation.AmdLoss(autoencoder.Decoder, solver, evalImages, config, draws, inputs.Device, null, cancel);
            return new Dictionary<string, double> { [Evaluations.Ae] = aeLoss, [Evaluations.Mixed] = mixedLoss };
        }

        var training = TrainingLoop.Run(autoencoder,
            images => ReconstructionLoss.BatchSum(autoencoder.forward(images), images),
            inputs.Train, config, inputs.Device, progress, cancel, TrainingExtras.ForRun(config, inputs, generator, checkpoints, Evaluate));

        // The encoder pass is cheap next to AMD, so it gets the first tenth of the test progress.
        void Report(double fraction) =>
            progress?.Report(new RunProgress("test", fraction, training.ImagesSeen, training.FinalTrainLoss));
        var testClock = Stopwatch.StartNew();
        double aeLoss = TestEvaluation.MeanLoss(inputs.Test, config.TestBatchSize, autoencoder.forward, inputs.Device,
            fraction => Report(0.1 * fraction), cancel);
        var (mixedLoss, testAmd) = TestEvaluation.AmdLoss(autoencoder.Decoder, solver, inputs.Test, config,
            generator, inputs.Device, fraction => Report(0.1 + 0.9 * fraction), cancel);
        double testSeconds = testClock.Elapsed.TotalSeconds;

        TestReconstructions? reconstructions = null;
        if (config.Reconstructions > 0)
        {
            var shown = inputs.Test.Head(config.Reconstructions);
            reconstructions = new TestReconstructions(shown.Pixels, new Dictionary<string, float[]>
            {
                [Evaluations.Ae] = TestEvaluation.Reconstruct(shown, config.TestBatchSize, autoencoder.forward, inputs.Device),
                [Evaluations.Mixed] = TestEvaluation.Reconstruct(shown, config.TestBatchSize,
                    images => autoencoder.Decoder.forward(solver.Solve(autoencoder.Decoder, images,
                        LatentStart.Draw(config.Z0, images.shape[0], generator, inputs.Device)).Latent), inputs.Device),
            });
        }

        return new RunResult
        {
            TestLoss = new Dictionary<string, double> { [Evaluations.Ae] = aeLoss, [Evaluations.Mixed] = mixedLoss },
            FinalTrainLoss = training.FinalTrainLoss,
            ImagesSeen = training.ImagesSeen,
            TestImages = inputs.Test.Count,
            TrainAmd = AmdStatistics.None,
            TestAmd = testAmd,
            TrainSeconds = training.Seconds,
            TestSeconds = testSeconds,
            Curve = training.Curve,
            DataProvenance = inputs.Provenance,
            Device = RunInputs.DeviceName(inputs.Device),
            EvalCurve = training.EvalCurve,
            Reconstructions = reconstructions,
            Model = Artifacts.TrainedModel.Capture(autoencoder.Decoder, autoencoder.Encoder),
        };
    }
}
