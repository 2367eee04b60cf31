using Gfe.Abstractions;
using Gfe.Grains;
using Xunit;

namespace Gfe.Tests.Grains;

/// <summary>
/// The pull scheduler on two silos (<see cref="SchedulerCluster"/>: a CPU silo and a silo with a simulated GPU, two
/// slots each). Assertions count runs per silo from the runs' own records (where and when each trained) and from the
/// silos' job slots, never durations.
/// </summary>
public sealed class SchedulerTests(SchedulerCluster cluster) : IClassFixture<SchedulerCluster>
{
    static readonly Dictionary<string, string> NeedsGpu = new() { ["runsOn"] = "gpu" };

    [Fact]
    public async Task Runs_go_to_the_gpu_silo_while_it_has_free_slots_and_train_on_the_silo_that_pulled_them()
    {
        var gpuSlots = SchedulerCluster.JobSlotsOf(cluster.GpuSilo);
        var cpuSlots = SchedulerCluster.JobSlotsOf(cluster.CpuSilo);
        long gpuBefore = gpuSlots.Granted, cpuBefore = cpuSlots.Granted;
        var specs = Enumerable.Range(0, SchedulerCluster.Slots).Select(_ => SimulatedRuns.Spec(seconds: 0.3)).ToList();

        var done = await StartAndFinish(specs);

        Assert.All(done, s => Assert.Equal(RunState.Completed, s.State));
        Assert.All(done, s => Assert.Equal(SchedulerCluster.NameOf(cluster.GpuSilo), s.Silo));
        // Each run claimed the slot its silo's puller reserved, so it trained where it was pulled.
        Assert.Equal(specs.Count, gpuSlots.Granted - gpuBefore);
        Assert.Equal(0, cpuSlots.Granted - cpuBefore);
    }

    [Fact]
    public async Task A_run_that_needs_a_gpu_waits_for_the_gpu_silo_while_the_cpu_silo_is_idle()
    {
        var cpuSlots = SchedulerCluster.JobSlotsOf(cluster.CpuSilo);
        long cpuBefore = cpuSlots.Granted;
        var specs = Enumerable.Range(0, SchedulerCluster.Slots + 1).Select(_ => SimulatedRuns.Spec(seconds: 0.6, extra: NeedsGpu)).ToList();

        var done = await StartAndFinish(specs);

        Assert.All(done, s => Assert.Equal(RunState.Completed, s.State));
        Assert.All(done, s => Assert.Equal(SchedulerCluster.NameOf(cluster.GpuSilo), s.Silo));
        Assert.Equal(0, cpuSlots.Granted - cpuBefore);
        // The GPU silo has two slots: one of the three runs started only once another had finished.
        var firstFinish = done.Min(s => s.FinishedUtc!.Value);
        Assert.Equal(1, done.Count(s => s.StartedUtc >= firstFinish));
    }

    [Fact]
    public async Task Every_slot_of_the_cluster_fills_before_runs_wait_and_no_silo_trains_more_runs_than_its_slots()
    {
        var gpuSlots = SchedulerCluster.JobSlotsOf(cluster.GpuSilo);
        var cpuSlots = SchedulerCluster.JobSlotsOf(cluster.CpuSilo);
        long gpuBefore = gpuSlots.Granted, cpuBefore = cpuSlots.Granted;
        const int totalSlots = 2 * SchedulerCluster.Slots;
        var specs = Enumerable.Range(0, 2 * totalSlots).Select(_ => SimulatedRuns.Spec(seconds: 1.0)).ToList();

        var done = await StartAndFinish(specs, during: () =>
        {
            Assert.InRange(gpuSlots.InUse, 0, SchedulerCluster.Slots);
            Assert.InRange(cpuSlots.InUse, 0, SchedulerCluster.Slots);
        });

        Assert.All(done, s => Assert.Equal(RunState.Completed, s.State));
        foreach (var silo in new[] { cluster.GpuSilo, cluster.CpuSilo })
        {
            var here = done.Where(s => s.Silo == SchedulerCluster.NameOf(silo)).ToList();
            Assert.InRange(MostAtOnce(here), 1, SchedulerCluster.Slots);
        }
        Assert.Equal(done.Count(s => s.Silo == SchedulerCluster.NameOf(cluster.GpuSilo)), gpuSlots.Granted - gpuBefore);
        Assert.Equal(done.Count(s => s.Silo == SchedulerCluster.NameOf(cluster.CpuSilo)), cpuSlots.Granted - cpuBefore);
        // No slot idled while runs waited: the first wave filled all four slots, of both silos, before any run
        // finished, and the second wave waited for the first.
        var firstFinish = done.Min(s => s.FinishedUtc!.Value);
        var firstWave = done.Where(s => s.StartedUtc < firstFinish).ToList();
        Assert.Equal(totalSlots, firstWave.Count);
        Assert.Equal(SchedulerCluster.Slots, firstWave.Count(s => s.Silo == SchedulerCluster.NameOf(cluster.GpuSilo)));
        Assert.Equal(totalSlots, MostAtOnce(done));
    }

    async Task<RunStatus[]> StartAndFinish(IReadOnlyList<RunSpec> specs, Action? during = null)
    {
        var runs = specs.Select(cluster.Client.Grain).ToList();
        await Task.WhenAll(runs.Zip(specs, (run, spec) => run.Start(spec)));
        RunStatus[] statuses;
        do
        {
            during?.Invoke();
            await Task.Delay(20);
            statuses = await Task.WhenAll(runs.Select(r => r.GetStatus()));
        } while (!statuses.All(s => s.IsFinished) && statuses.All(s => s.State != RunState.NotStarted));
        return await Task.WhenAll(runs.Select(SimulatedRuns.Finished));
    }

    /// <summary>The most runs whose [started, finished] intervals cover one instant; on ties an end comes first.</summary>
    static int MostAtOnce(IEnumerable<RunStatus> runs)
    {
        var edges = runs
            .SelectMany(s => new[] { (Time: s.StartedUtc!.Value, Step: +1), (Time: s.FinishedUtc!.Value, Step: -1) })
            .OrderBy(e => e.Time).ThenBy(e => e.Step);
        int now = 0, most = 0;
        foreach (var edge in edges) most = Math.Max(most, now += edge.Step);
        return most;
    }
}
