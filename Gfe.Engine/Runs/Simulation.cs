using System.Diagnostics;

namespace Gfe.Engine.Runs;

/// <summary>
/// A stand-in run without torch: it sleeps for the configured time while reporting progress, so that the scheduler
/// and the runner can be tested at scale and in seconds.
/// </summary>
public static class Simulation
{
    public static RunResult Run(RunConfig config, IProgress<RunProgress>? progress, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var total = TimeSpan.FromSeconds(config.SimulateSeconds);
        const int Ticks = 10;
        for (int tick = 1; tick <= Ticks; tick++)
        {
            var due = total * tick / Ticks - clock.Elapsed;
            if (due > TimeSpan.Zero && cancel.WaitHandle.WaitOne(due))
                cancel.ThrowIfCancellationRequested();
            progress?.Report(new RunProgress("train", (double)tick / Ticks, (long)config.TrainSize * tick / Ticks, null));
            if (config.SimulateFailure && tick == Ticks / 2)
                throw new RunFailedException("simulated failure");
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
            TrainSeconds = clock.Elapsed.TotalSeconds,
            TestSeconds = 0,
            Curve = [new CurvePoint(config.TrainSize, clock.Elapsed.TotalSeconds, loss)],
            DataProvenance = "simulated",
            Device = "none",
        };
    }
}
