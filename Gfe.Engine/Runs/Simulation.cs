using System.Diagnostics;
using Gfe.Engine.Checkpoints;

namespace Gfe.Engine.Runs;

/// <summary>
/// A stand-in run without torch: it sleeps for the configured time while reporting progress, so that the scheduler
/// and the runner can be tested at scale and in seconds. With a checkpoint store and checkpointEvery > 0 it saves a
/// checkpoint after every checkpointEvery of its ten ticks and resumes from the latest one, so that the runner's
/// failover can be tested without torch.
/// </summary>
public static class Simulation
{
    const int Ticks = 10;

    public static RunResult Run(RunConfig config, IProgress<RunProgress>? progress, CancellationToken cancel) =>
        Run(config, progress, cancel, checkpoints: null);

    public static RunResult Run(RunConfig config, IProgress<RunProgress>? progress, CancellationToken cancel, ICheckpointStore? checkpoints)
    {
        var clock = Stopwatch.StartNew();
        var total = TimeSpan.FromSeconds(config.SimulateSeconds);
        bool checkpointing = checkpoints is not null && config.CheckpointEvery > 0;
        var key = RunKey.For(config);
        // The cursor of a simulation is the tick it has slept through; its elapsed time counts as already spent.
        int firstTick = checkpointing && checkpoints!.Latest(key) is { } resumed ? resumed.Batch + 1 : 1;
        var before = total * (firstTick - 1) / Ticks;
        for (int tick = firstTick; tick <= Ticks; tick++)
        {
            var due = total * tick / Ticks - before - clock.Elapsed;
            if (due > TimeSpan.Zero && cancel.WaitHandle.WaitOne(due))
                cancel.ThrowIfCancellationRequested();
            progress?.Report(new RunProgress("train", (double)tick / Ticks, (long)config.TrainSize * tick / Ticks, null));
            if (config.SimulateFailure && tick == Ticks / 2)
                throw new RunFailedException("simulated failure");
            if (checkpointing && tick % config.CheckpointEvery == 0 && tick < Ticks)
                checkpoints!.Save(Checkpoint(config, key, tick, (before + clock.Elapsed).TotalSeconds));
        }

        // A value that depends on the whole config, so that result tables have something to aggregate.
        double loss = 0.05 + (config.Seed % 7) * 0.001 + 1.0 / Math.Max(1, config.TrainSize);
        return new RunResult
        {
            TestLoss = new Dictionary<string, double> { [Evaluations.Simulate] = loss },
            FinalTrainLoss = loss,
            ImagesSeen = config.TrainSize,
            TestImages = config.TestSize,
            TrainAmd = AmdStatistics.None,
            TestAmd = AmdStatistics.None,
            TrainSeconds = (before + clock.Elapsed).TotalSeconds,
            TestSeconds = 0,
            Curve = [new CurvePoint(config.TrainSize, (before + clock.Elapsed).TotalSeconds, loss)],
            DataProvenance = "simulated",
            Device = "none",
        };
    }

    static TrainingCheckpoint Checkpoint(RunConfig config, string key, int tick, double seconds) => new()
    {
        RunKey = key,
        DataProvenance = "simulated",
        Epoch = 0,
        Batch = tick,
        ImagesSeen = (long)config.TrainSize * tick / Ticks,
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
