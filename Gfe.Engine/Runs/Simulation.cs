using System.Diagnostics;
using Gfe.Engine.Checkpoints;

namespace Gfe.Engine.Runs;

/// <summary>
/// A stand-in run without torch: it sleeps for the configured time while reporting progress, so that the scheduler
/// and the runner can be tested at scale and in seconds. With a checkpoint store and checkpointEvery > 0 it saves a
/// checkpoint after every checkpointEvery of its ten ticks and resumes from the latest one, so that the runner's
/// failover can be tested without torch. Its losses follow <see cref="SimulatedObjective"/>, a known function of its
/// settings, with an evaluation curve every evalEvery images (at the start, every evalEvery images, and at the end)
/// as a real run records it, so that searches and early stopping can be tested without torch. Given stopAtImages (a
/// rung of early stopping) it stops after the tick that reaches those images, saves a checkpoint there (whatever
/// checkpointEvery says, so that a promotion continues it) and returns the losses and curve at stopAtImages.
/// </summary>
public static class Simulation
{
    const int Ticks = 10;

    public static RunResult Run(RunConfig config, IProgress<RunProgress>? progress, CancellationToken cancel) =>
        Run(config, progress, cancel, checkpoints: null);

    public static RunResult Run(RunConfig config, IProgress<RunProgress>? progress, CancellationToken cancel, ICheckpointStore? checkpoints,
        long? stopAtImages = null)
    {
        var clock = Stopwatch.StartNew();
        var total = TimeSpan.FromSeconds(config.SimulateSeconds);
        bool checkpointing = checkpoints is not null && config.CheckpointEvery > 0;
        var key = RunKey.For(config);
        long totalImages = SimulatedObjective.TrainImages(config);
        // A stop at or past the end is no stop; a stop needs somewhere to keep its checkpoint.
        long? stopAt = stopAtImages is { } s && s < totalImages && checkpoints is not null ? Math.Max(0, s) : null;
        // The cursor of a simulation is the tick it has slept through; its elapsed time counts as already spent.
        // A run of an early-stopped sweep (any stopAtImages, the end included) continues its stopped checkpoint
        // whatever checkpointEvery says.
        int firstTick = (checkpointing || (stopAtImages is not null && checkpoints is not null)) && checkpoints!.Latest(key) is { } resumed ? resumed.Batch + 1 : 1;
        var before = total * (firstTick - 1) / Ticks;
        // The tick that reaches the rung: the first whose images are at least stopAt.
        int stopTick = stopAt is { } at ? (int)Math.Min(Ticks, (at * Ticks + totalImages - 1) / Math.Max(1, totalImages)) : Ticks + 1;
        if (stopAt is { } atStart && firstTick > stopTick)
            // Resumed already past this rung (two rungs within one tick): stop again where it is.
            return Stopped(config, atStart, (before + clock.Elapsed).TotalSeconds);
        for (int tick = firstTick; tick <= Ticks; tick++)
        {
            var due = total * tick / Ticks - before - clock.Elapsed;
            if (due > TimeSpan.Zero && cancel.WaitHandle.WaitOne(due))
                cancel.ThrowIfCancellationRequested();
            progress?.Report(new RunProgress("train", (double)tick / Ticks, totalImages * tick / Ticks, null));
            if (config.SimulateFailure && tick == Ticks / 2)
                throw new RunFailedException("simulated failure");
            if (stopAt is { } rung && tick == stopTick)
            {
                double stoppedAt = (before + clock.Elapsed).TotalSeconds;
                checkpoints!.Save(Checkpoint(config, key, tick, stoppedAt));
                return Stopped(config, rung, stoppedAt);
            }
            if (checkpointing && tick % config.CheckpointEvery == 0 && tick < Ticks)
                checkpoints!.Save(Checkpoint(config, key, tick, (before + clock.Elapsed).TotalSeconds));
        }

        return Result(config, totalImages, (before + clock.Elapsed).TotalSeconds, stoppedEarly: false);
    }

    /// <summary>The result of a run stopped at a rung: the losses and curves at <paramref name="images"/>.</summary>
    static RunResult Stopped(RunConfig config, long images, double seconds) => Result(config, images, seconds, stoppedEarly: true);

    /// <summary>The result after <paramref name="images"/> training images: at the end of the run, or at a rung.</summary>
    static RunResult Result(RunConfig config, long images, double seconds, bool stoppedEarly)
    {
        double loss = SimulatedObjective.LossAt(config, images);
        return new RunResult
        {
            TestLoss = new Dictionary<string, double> { [Evaluations.Simulate] = loss },
            FinalTrainLoss = loss,
            ImagesSeen = images,
            TestImages = config.TestSize,
            TrainAmd = AmdStatistics.None,
            TestAmd = AmdStatistics.None,
            TrainSeconds = seconds,
            TestSeconds = 0,
            Curve = [new CurvePoint(images, seconds, loss)],
            EvalCurve = EvalCurve(config, images, seconds),
            DataProvenance = "simulated",
            Device = "none",
            StoppedEarly = stoppedEarly,
        };
    }

    /// <summary>The evaluation points a real run would record: at 0, at every multiple of evalEvery, and at the end;
    /// their seconds spread the run's time in proportion to the images.</summary>
    public static IReadOnlyList<EvalPoint> EvalCurve(RunConfig config, long totalImages, double seconds)
    {
        if (config.EvalEvery <= 0) return [];
        var points = new List<EvalPoint>();
        for (long images = 0; ; images = Math.Min(totalImages, images + config.EvalEvery))
        {
            points.Add(new EvalPoint(images, totalImages == 0 ? 0 : seconds * images / totalImages,
                new Dictionary<string, double> { [Evaluations.Simulate] = SimulatedObjective.LossAt(config, images) }));
            if (images >= totalImages) break;
        }
        return points;
    }

    static TrainingCheckpoint Checkpoint(RunConfig config, string key, int tick, double seconds) => new()
    {
        RunKey = key,
        DataProvenance = "simulated",
        Epoch = 0,
        Batch = tick,
        ImagesSeen = SimulatedObjective.TrainImages(config) * tick / Ticks,
        TrainLoss = double.NaN,
        Seconds = seconds,
        Curve = [],
        EvalCurve = [],
        TrainAmd = AmdStatistics.None,
        Weights = [],
        OptimizerState = [],
        GeneratorState = [],
    };
}
