using System.Diagnostics;
using Gfe.Engine.Checkpoints;
using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// Training (docs/method.md §4): <c>epochs</c> passes over the training subset, each in a fresh seeded order
/// (without replacement within an epoch), in batches of B, one RMSprop update per batch. The method (GFE-amd or AE)
/// enters only through <c>batchLoss</c>, which maps images [b, 784] to the batch loss L = sum_i l_i; the logged train
/// loss is L/b. Optionally the test loss is evaluated every evalEvery images and the run checkpointed every
/// checkpointEvery batches; the clock of the curves counts training only.
/// </summary>
public static class TrainingLoop
{
    public static TrainingOutcome Run(
        nn.Module model,
        Func<Tensor, Tensor> batchLoss,
        ImageSet subset,
        RunConfig config,
        Device device,
        IProgress<RunProgress>? progress,
        CancellationToken cancel,
        TrainingExtras? extras = null)
    {
        extras ??= TrainingExtras.None;
        bool evaluating = config.EvalEvery > 0 && extras.Evaluate is not null;
        bool checkpointing = config.CheckpointEvery > 0 && extras.Checkpoints is not null;
        // A run of an early-stopped sweep saves its stop and resumes from it whatever checkpointEvery says.
        bool resumable = checkpointing || (extras.StopAtImages is not null && extras.Checkpoints is not null);
        if (resumable && (extras.Generator is null || extras.TrainAmd is null))
            throw new ArgumentException("checkpoints need the run's generator and AMD tally", nameof(extras));

        // Created after the model moved to its device: .to(device) replaces the parameter objects (docs/platform-notes.md).
        using var optimizer = new RmsProp(model.parameters(), config.LearningRate, config.RmsAlpha, config.RmsEps);
        var curve = new List<CurvePoint>();
        var evalCurve = new List<EvalPoint>();
        int batchesPerEpoch = ImageBatch.Count(subset.Count, config.BatchSize);
        long totalBatches = (long)batchesPerEpoch * config.Epochs;
        long done = 0;
        long imagesSeen = 0;
        double trainLoss = double.NaN;
        double secondsBefore = 0;

        var resumed = resumable ? extras.Checkpoints!.Latest(extras.RunKey) : null;
        // A checkpoint of other data (the files were replaced) or of an older optimiser format cannot continue this
        // run: it starts afresh.
        if (resumed is not null && resumed.DataProvenance == extras.DataProvenance && optimizer.TryRestoreState(resumed.OptimizerState))
        {
            TorchState.RestoreWeights(model, resumed.Weights);
            TorchState.RestoreGenerator(extras.Generator!, resumed.GeneratorState);
            extras.TrainAmd!.Total = resumed.TrainAmd;
            done = (long)resumed.Epoch * batchesPerEpoch + resumed.Batch;
            imagesSeen = resumed.ImagesSeen;
            trainLoss = resumed.TrainLoss;
            secondsBefore = resumed.Seconds;
            curve.AddRange(resumed.Curve);
            evalCurve.AddRange(resumed.EvalCurve);
        }

        var clock = Stopwatch.StartNew();
        double Seconds() => secondsBefore + clock.Elapsed.TotalSeconds;
        void Evaluate()
        {
            clock.Stop();
            evalCurve.Add(new EvalPoint(imagesSeen, Seconds(), extras.Evaluate!()));
            clock.Start();
        }

        if (evaluating && done == 0) Evaluate();   // the untrained model starts the curve
        long? stopAt = resumable && extras.StopAtImages is { } rung && rung < (long)subset.Count * config.Epochs ? rung : null;
        if (stopAt is { } already && imagesSeen >= already)
            // Resumed at or past this rung (a stop asked for again): nothing to train.
            return new TrainingOutcome(curve, trainLoss, imagesSeen, Seconds()) { EvalCurve = evalCurve, StoppedEarly = true };
        for (int epoch = (int)(done / batchesPerEpoch); epoch < config.Epochs; epoch++)
        {
            var order = TrainingSubset.EpochOrder(subset.Count, epoch, config.Seed);
            for (int batch = (int)(done % batchesPerEpoch); batch < batchesPerEpoch; batch++)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                int start = batch * config.BatchSize;
                int count = Math.Min(config.BatchSize, subset.Count - start);
                var images = ImageBatch.Gather(subset, order, start, count, device);

                var loss = batchLoss(images);
                trainLoss = (double)loss.item<float>() / count;
                if (!double.IsFinite(trainLoss))
                    throw new RunFailedException(
                        $"train loss became {trainLoss} at batch {done + 1} of {totalBatches} (after {imagesSeen} images); the run diverged");

                optimizer.ZeroGrad();
                loss.backward();
                optimizer.Step();

                done++;
                long before = imagesSeen;
                imagesSeen += count;
                if (done % config.CurveEvery == 0 || done == totalBatches)
                    curve.Add(new CurvePoint(imagesSeen, Seconds(), trainLoss));
                if (evaluating && (imagesSeen / config.EvalEvery > before / config.EvalEvery || done == totalBatches))
                    Evaluate();
                if (checkpointing && done % config.CheckpointEvery == 0 && done < totalBatches)
                    SaveCheckpoint(model, optimizer, extras, done, batchesPerEpoch, imagesSeen, trainLoss, Seconds(), curve, evalCurve, clock);
                progress?.Report(new RunProgress("train", (double)done / totalBatches, imagesSeen, trainLoss));
                if (stopAt is { } rungImages && imagesSeen >= rungImages && done < totalBatches)
                {
                    SaveCheckpoint(model, optimizer, extras, done, batchesPerEpoch, imagesSeen, trainLoss, Seconds(), curve, evalCurve, clock);
                    return new TrainingOutcome(curve, trainLoss, imagesSeen, Seconds()) { EvalCurve = evalCurve, StoppedEarly = true };
                }
            }
        }
        return new TrainingOutcome(curve, trainLoss, imagesSeen, Seconds()) { EvalCurve = evalCurve };
    }

    static void SaveCheckpoint(
        nn.Module model, RmsProp optimizer, TrainingExtras extras, long done, int batchesPerEpoch,
        long imagesSeen, double trainLoss, double seconds, List<CurvePoint> curve, List<EvalPoint> evalCurve, Stopwatch clock)
    {
        clock.Stop();
        extras.Checkpoints!.Save(new TrainingCheckpoint
        {
            RunKey = extras.RunKey,
            DataProvenance = extras.DataProvenance,
            Epoch = (int)(done / batchesPerEpoch),
            Batch = (int)(done % batchesPerEpoch),
            ImagesSeen = imagesSeen,
            TrainLoss = trainLoss,
            Seconds = seconds,
            Curve = curve.ToList(),
            EvalCurve = evalCurve.ToList(),
            TrainAmd = extras.TrainAmd!.Total,
            Weights = TorchState.Weights(model),
            OptimizerState = optimizer.SaveState(),
            GeneratorState = TorchState.Generator(extras.Generator!),
        });
        clock.Start();
    }
}
