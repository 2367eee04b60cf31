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
/// A GFE-amd run (engine-spec §3e, §4): for each batch, encode the images with AMD through the current decoder,
/// treat the codes z* as constants (the approximate gradient), and take one RMSprop step on
/// L = sum_i l_i(D(z*)). Then encode the test images with AMD through the trained decoder and report the mean loss.
/// </summary>
public static class GfeAmdRun
{
    public static RunResult Execute(RunConfig config, DatasetSplits? data, IProgress<RunProgress>? progress, CancellationToken cancel)
    {
        var inputs = RunInputs.Prepare(config, data);
        torch.set_num_threads(1);   // one thread per run: runs go side by side (platform.md §1.4)
        using var generator = new Generator((ulong)config.Seed, torch.CPU);
        using var decoder = new Decoder(generator);
        decoder.to(inputs.Device);
        var solver = new AmdSolver(config.Amd);

        var trainAmd = AmdStatistics.None;
        var training = TrainingLoop.Run(decoder, images =>
        {
            var z0 = LatentStart.Draw(config.Z0, images.shape[0], generator, inputs.Device);
            var solution = solver.Solve(decoder, images, z0);   // z* comes back detached
            trainAmd = trainAmd.Add(solution.Statistics);
            return ReconstructionLoss.BatchSum(decoder.forward(solution.Latent), images);
        }, inputs.Train, config, inputs.Device, progress, cancel);

        var testClock = Stopwatch.StartNew();
        var (testLoss, testAmd) = TestEvaluation.AmdLoss(decoder, solver, inputs.Test, config, generator, inputs.Device,
            fraction => progress?.Report(new RunProgress("test", fraction, training.ImagesSeen, training.FinalTrainLoss)),
            cancel);

        return new RunResult
        {
            TestLoss = new Dictionary<string, double> { [Evaluations.GfeAmd] = testLoss },
            FinalTrainLoss = training.FinalTrainLoss,
            ImagesSeen = training.ImagesSeen,
            TestImages = inputs.Test.Count,
            TrainAmd = trainAmd,
            TestAmd = testAmd,
            TrainSeconds = training.Seconds,
            TestSeconds = testClock.Elapsed.TotalSeconds,
            Curve = training.Curve,
            DataProvenance = inputs.Provenance,
            Device = RunInputs.DeviceName(inputs.Device),
        };
    }
}
