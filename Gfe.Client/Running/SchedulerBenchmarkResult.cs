namespace Gfe.Client.Running;

/// <summary>
/// The figures of one <see cref="SchedulerBenchmark"/>, all from the runs' own records: the makespan (first start to
/// last finish), the ideal one (whole waves of runs on every slot, nothing in between), the most runs any silo
/// trained at once, completed runs per second from submission to the last finish, when the first progress line
/// came and the longest gap between two, the process's peak resident memory, how long after launch (before the silos started) the first run started, and how long a silo's
/// freed slot stayed empty while runs still waited (the refill gap: from a run's finish to the next start on its silo).
/// </summary>
public sealed record SchedulerBenchmarkResult(
    SchedulerBenchmarkSettings Settings,
    int Completed,
    TimeSpan ClusterStart,
    TimeSpan LaunchToFirstStart,
    TimeSpan Makespan,
    TimeSpan Ideal,
    int MostAtOnceOnOneSilo,
    int SilosUsed,
    TimeSpan MedianRefill,
    TimeSpan P90Refill,
    TimeSpan FirstWaveFilled,
    double RunsPerSecond,
    TimeSpan FirstProgressLine,
    TimeSpan LongestProgressGap,
    int ProgressLines,
    double PeakMegabytes)
{
    /// <summary>The process's CPU time (every thread: client, silos, runs) from submission to the end, per run: what
    /// the runner costs, independent of how busy the machine is.</summary>
    public TimeSpan CpuPerRun { get; init; }

    /// <summary>Managed heap still reachable after the sweep (after a full collection), per run: what every run keeps
    /// in the client, its grain and the storage.</summary>
    public double LiveBytesPerRun { get; init; }

    /// <summary>Memory the garbage collector held committed when the sweep ended (the rest of the resident memory is
    /// code, libtorch and native allocations).</summary>
    public double GcCommittedMegabytes { get; init; }

    /// <summary>The whole managed heap after the sweep, after a full collection.</summary>
    public double HeapMegabytes { get; init; }

    public int TotalSlots => Settings.Silos * Settings.Slots;

    public double Ratio => Makespan / Ideal;
}
