using System.Diagnostics;
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
    public static RunResult Execute(RunConfig config, DatasetSplits? data, IProgress<RunProgress>? progress, CancellationToken cancel)
    {
        var inputs = RunInputs.Prepare(config, data);
        torch.set_num_threads(1);   // one thread per run: runs go side by side (platform.md §1.4)
        using var generator = new Generator((ulong)config.Seed, torch.CPU);
        using var autoencoder = new Autoencoder(generator);
        autoencoder.to(inputs.Device);

        var training = TrainingLoop.Run(autoencoder,
            images => ReconstructionLoss.BatchSum(autoencoder.forward(images), images),
            inputs.Train, config, inputs.Device, progress, cancel);

        // The encoder pass is cheap next to AMD, so it gets the first tenth of the test progress.
        void Report(double fraction) =>
            progress?.Report(new RunProgress("test", fraction, training.ImagesSeen, training.FinalTrainLoss));
        var testClock = Stopwatch.StartNew();
        double aeLoss = TestEvaluation.MeanLoss(inputs.Test, config.TestBatchSize, autoencoder.forward, inputs.Device,
            fraction => Report(0.1 * fraction), cancel);
        var (mixedLoss, testAmd) = TestEvaluation.AmdLoss(autoencoder.Decoder, new AmdSolver(config.Amd), inputs.Test, config,
            generator, inputs.Device, fraction => Report(0.1 + 0.9 * fraction), cancel);

        return new RunResult
        {
            TestLoss = new Dictionary<string, double> { [Evaluations.Ae] = aeLoss, [Evaluations.Mixed] = mixedLoss },
            FinalTrainLoss = training.FinalTrainLoss,
            ImagesSeen = training.ImagesSeen,
            TestImages = inputs.Test.Count,
            TrainAmd = AmdStatistics.None,
            TestAmd = testAmd,
            TrainSeconds = training.Seconds,
            TestSeconds = testClock.Elapsed.TotalSeconds,
            Curve = training.Curve,
            DataProvenance = inputs.Provenance,
            Device = RunInputs.DeviceName(inputs.Device),
        };
    }
}
