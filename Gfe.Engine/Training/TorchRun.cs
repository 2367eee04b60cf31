using System.Diagnostics;
using Gfe.Engine.Checkpoints;
using Gfe.Engine.Data;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// The one skeleton of every torch run (GFE-amd, AE, GFE-rk4, GFE-nesterov), top to bottom: check the inputs, one
/// thread, the run's generator, the method's model, the training loop (with its evaluation curve and checkpoints),
/// the timed test, the reconstructions, the result. A method enters only through the <see cref="RunModel"/> that
/// <see cref="GfeAmdRun"/>, <see cref="AutoencoderRun"/> or <see cref="FlowRun"/> builds.
/// </summary>
public static class TorchRun
{
    public static RunResult Execute(
        RunConfig config, DatasetSplits? data, IProgress<RunProgress>? progress, CancellationToken cancel,
        ICheckpointStore? checkpoints = null, long? stopAtImages = null)
    {
        // Inputs: every setting and the data checked before any torch call; the model's output width is the data's.
        var inputs = RunInputs.Prepare(config, data);
        var shape = config.Model(inputs.Features);
        torch.set_num_threads(1);   // one thread per run: runs go side by side (docs/platform-notes.md)

        // The run's own generator draws the weights, then the latent starts: runs on parallel threads stay reproducible.
        using var generator = new Generator((ulong)config.Seed, torch.CPU);
        using var model = config.Method switch
        {
            RunMethod.GfeAmd => GfeAmdRun.Build(config, shape, generator, inputs.Device),
            RunMethod.Ae => AutoencoderRun.Build(config, shape, generator, inputs.Device),
            RunMethod.GfeRk4 or RunMethod.GfeNesterov => FlowRun.Build(config, shape, generator, inputs.Device),
            _ => throw new RunFailedException($"method {RunParameters.MethodName(config.Method)} is not a torch run"),
        };
        var loss = shape.Loss;

        // A curve evaluation draws from a copy of the run's generator: it sees the latent starts the final test would
        // see at that moment, and leaves training's draws untouched.
        var evalImages = inputs.Test.Head(config.EvalSize);
        IReadOnlyDictionary<string, double> Evaluate() => model.Evaluations.ToDictionary(e => e.Name, e =>
        {
            using var draws = TorchState.Copy(generator);
            return TestEvaluation.MeanLoss(loss, evalImages, config.TestBatchSize,
                images => e.Reconstruct(images, draws, new AmdTally()), inputs.Device, null, cancel);
        });

        var training = TrainingLoop.Run(model.Module, model.BatchLoss, inputs.Train, config, inputs.Device, progress, cancel,
            TrainingExtras.ForRun(config, inputs, generator, checkpoints, Evaluate, model.TrainAmd, stopAtImages));

        if (training.StoppedEarly)
        {
            // Stopped at a rung: its test loss is the evaluation there (on evalSize test images, as the curve's), not
            // the timed test of a finished run; the sweep's rule compares these.
            var atRung = training.EvalCurve.LastOrDefault() is { } point && point.ImagesSeen == training.ImagesSeen ? point.TestLoss : Evaluate();
            return new RunResult
            {
                TestLoss = new Dictionary<string, double>(atRung),
                FinalTrainLoss = training.FinalTrainLoss,
                ImagesSeen = training.ImagesSeen,
                TestImages = evalImages.Count,
                TrainAmd = model.TrainAmd.Total,
                TestAmd = AmdStatistics.None,
                TrainSeconds = training.Seconds,
                TestSeconds = 0,
                Curve = training.Curve,
                DataProvenance = inputs.Provenance,
                Device = RunInputs.DeviceName(inputs.Device),
                EvalCurve = training.EvalCurve,
                StoppedEarly = true,
            };
        }

        // The timed test: every evaluation over the whole test set, in order, drawing from the run's generator.
        var testClock = Stopwatch.StartNew();
        var testAmd = new AmdTally();
        var testLoss = new Dictionary<string, double>();
        double done = 0;
        foreach (var evaluation in model.Evaluations)
        {
            double before = done;
            testLoss[evaluation.Name] = TestEvaluation.MeanLoss(loss, inputs.Test, config.TestBatchSize,
                images => evaluation.Reconstruct(images, generator, testAmd), inputs.Device,
                fraction => progress?.Report(new RunProgress("test", before + evaluation.TestShare * fraction, training.ImagesSeen, training.FinalTrainLoss)),
                cancel);
            done += evaluation.TestShare;
        }
        double testSeconds = testClock.Elapsed.TotalSeconds;

        // Reconstructions of the first K test images (Figure 3), after the test, in the data's units.
        TestReconstructions? reconstructions = null;
        if (config.Reconstructions > 0)
        {
            var shown = inputs.Test.Head(config.Reconstructions);
            reconstructions = new TestReconstructions(shown.Pixels, model.Evaluations.ToDictionary(e => e.Name,
                e => TestEvaluation.Reconstruct(loss, shown, config.TestBatchSize,
                    images => e.Reconstruct(images, generator, new AmdTally()), inputs.Device)), shown.SampleShape);
        }

        return new RunResult
        {
            TestLoss = testLoss,
            FinalTrainLoss = training.FinalTrainLoss,
            ImagesSeen = training.ImagesSeen,
            TestImages = inputs.Test.Count,
            TrainAmd = model.TrainAmd.Total,
            TestAmd = testAmd.Total,
            TrainSeconds = training.Seconds,
            TestSeconds = testSeconds,
            Curve = training.Curve,
            DataProvenance = inputs.Provenance,
            Device = RunInputs.DeviceName(inputs.Device),
            EvalCurve = training.EvalCurve,
            Reconstructions = reconstructions,
            Model = model.Trained(),
        };
    }
}
