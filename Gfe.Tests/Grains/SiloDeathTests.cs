using Gfe.Abstractions;
using Xunit;

namespace Gfe.Tests.Grains;

/// <summary>A silo killed while it trains, on a cluster of its own (<see cref="SchedulerCluster"/>).</summary>
public sealed class SiloDeathTests(SchedulerCluster cluster) : IClassFixture<SchedulerCluster>
{
    [Fact]
    public async Task A_run_whose_silo_is_killed_mid_run_completes_on_another_silo_from_its_checkpoint()
    {
        // Checkpointed after each of its ten ticks; it goes to the GPU silo, which takes any-device runs first.
        var spec = SimulatedRuns.Spec(seconds: 3, extra: new Dictionary<string, string> { ["checkpointEvery"] = "1" });
        var run = cluster.Client.Grain(spec);
        await run.Start(spec);
        var running = await SimulatedRuns.Running(run);
        Assert.Equal(SchedulerCluster.NameOf(cluster.GpuSilo), running.Silo);
        var checkpoint = Path.Combine(cluster.CheckpointDirectory, spec.Key + ".checkpoint.json");
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!File.Exists(checkpoint) && DateTime.UtcNow < limit) await Task.Delay(20);
        Assert.True(File.Exists(checkpoint), "the run saved no checkpoint");

        await cluster.Kill(cluster.GpuSilo);
        var done = await SimulatedRuns.FinishedDespiteFailover(run);

        Assert.Equal(RunState.Completed, done.State);
        Assert.Equal(SchedulerCluster.NameOf(cluster.CpuSilo), done.Silo);
        // Resumed, not restarted: the run's training time counts the ticks slept before the kill, which the attempt
        // on the surviving silo did not sleep again.
        var attempt = (done.FinishedUtc!.Value - done.StartedUtc!.Value).TotalSeconds;
        Assert.True(attempt < done.Outcome!.TrainSeconds, $"the last attempt took {attempt:F2} s of a run of {done.Outcome.TrainSeconds:F2} s");
        Assert.False(File.Exists(checkpoint));
    }
}
