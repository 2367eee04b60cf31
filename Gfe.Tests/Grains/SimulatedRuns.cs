using Gfe.Abstractions;
using Gfe.Engine.Runs;
using Xunit;

namespace Gfe.Tests.Grains;

/// <summary>Specs of simulated runs (no torch, no data) and polling of their grains.</summary>
static class SimulatedRuns
{
    public const int TrainSize = 100;

    // Grain state outlives a test in the shared cluster: every spec gets a seed, and so a key, of its own.
    static int nextSeed = 1000;

    /// <param name="extra">further settings, e.g. device or checkpointEvery</param>
    public static RunSpec Spec(double seconds, bool fail = false, IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["method"] = "simulate",
            ["seed"] = Interlocked.Increment(ref nextSeed).ToString(),
            ["trainSize"] = TrainSize.ToString(),
            ["simulateSeconds"] = seconds.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            ["simulateFailure"] = fail ? "true" : "false",
        };
        foreach (var (name, value) in extra ?? new Dictionary<string, string>()) settings[name] = value;
        return new RunSpec(RunKey.For(RunParameters.FromDictionary(settings)), settings);
    }

    public static IRunGrain Grain(this IClusterClient client, RunSpec spec) => client.GetGrain<IRunGrain>(spec.Key);

    /// <summary>Polls until the run trains (fails if it finishes first).</summary>
    public static async Task<RunStatus> Running(IRunGrain run) =>
        await Poll(run, s => s.State == RunState.Running || s.IsFinished) is { State: RunState.Running } status
            ? status
            : throw new InvalidOperationException("the run finished before it was seen running");

    /// <summary>Polls until the run is finished. The limit only keeps a broken runner from hanging the suite.</summary>
    public static Task<RunStatus> Finished(IRunGrain run) => Poll(run, s => s.IsFinished);

    /// <summary>Polls until the run is finished, retrying calls that fail while the cluster recovers from a dead
    /// silo (they time out or find the silo gone until membership has declared it dead).</summary>
    public static async Task<RunStatus> FinishedDespiteFailover(IRunGrain run)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                var status = await run.GetStatus().WaitAsync(TimeSpan.FromSeconds(5));
                if (status.IsFinished) return status;
            }
            catch (Exception e) when (e is TimeoutException or Orleans.Runtime.OrleansException)
            {
            }
            if (DateTime.UtcNow > limit) throw new TimeoutException("the run did not finish within 60 s of its silo's death");
            await Task.Delay(50);
        }
    }

    static async Task<RunStatus> Poll(IRunGrain run, Func<RunStatus, bool> done)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var status = await run.GetStatus();
            if (done(status)) return status;
            if (DateTime.UtcNow > limit) throw new TimeoutException($"run {status.Key} still {status.State} after 60 s");
            await Task.Delay(10);
        }
    }
}
