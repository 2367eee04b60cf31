namespace Gfe.Client.Running;

/// <summary>What <see cref="SchedulerBenchmark"/> runs: silos x slots on this machine and simulated runs of a fixed
/// length, submitted through the client's <see cref="SweepRunner"/>.</summary>
public sealed record SchedulerBenchmarkSettings
{
    public int Silos { get; init; } = 8;

    public int Slots { get; init; } = 4;

    public int Runs { get; init; } = 320;

    public double Seconds { get; init; } = 0.5;

    /// <summary>How often the client polls the runs (the sweep runner's default unless set).</summary>
    public TimeSpan Poll { get; init; } = SweepRunner.DefaultPollInterval;

    /// <summary>Every problem with the settings, each naming its option; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Silos is < 1 or > 64) problems.Add($"--silos must be 1 to 64, not {Silos}");
        if (Slots is < 1 or > 256) problems.Add($"--slots must be 1 to 256, not {Slots}");
        if (Runs is < 1 or > 100_000) problems.Add($"--runs must be 1 to 100000, not {Runs}");
        if (Poll < TimeSpan.FromMilliseconds(10) || Poll > TimeSpan.FromMinutes(1))
            problems.Add($"--poll-ms must be 10 to 60000, not {Poll.TotalMilliseconds:F0}");
        if (!(Seconds > 0) || Seconds > 3600) problems.Add($"--seconds must be more than 0 and at most 3600, not {Seconds}");
        return problems;
    }
}
