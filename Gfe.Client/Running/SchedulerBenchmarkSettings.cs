namespace Gfe.Client.Running;

/// <summary>What <see cref="SchedulerBenchmark"/> runs: silos x slots on this machine (or local mode's one silo) and
/// simulated runs of a fixed length, submitted through the client's <see cref="SweepRunner"/>. The command line
/// checks the ranges.</summary>
public sealed record SchedulerBenchmarkSettings
{
    public const int MaxRuns = Sweeps.SweepFileParser.MaxRuns;

    public int Silos { get; init; } = 8;

    public int Slots { get; init; } = 4;

    public int Runs { get; init; } = 320;

    public double Seconds { get; init; } = 0.5;

    /// <summary>How often the client polls the runs (the sweep runner's default unless set).</summary>
    public TimeSpan Poll { get; init; } = SweepRunner.DefaultPollInterval;

    /// <summary>Local mode as <c>gfe sweep run</c> starts it (<see cref="LocalCluster"/>) instead of N silos.</summary>
    public bool Local { get; init; }
}
