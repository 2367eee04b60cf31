namespace Gfe.Client.Results;

/// <summary>
/// One configuration of a sweep: every setting but the seed. Its replicates are its completed runs, one per seed;
/// the report's decisions and statistics use the mean over them.
/// </summary>
public sealed record Configuration(IReadOnlyList<KeyValuePair<string, string>> Settings, IReadOnlyList<RunRow> Replicates)
{
    public string Setting(string name) => Replicates[0].Setting(name);

    /// <summary>The test loss of each replicate that has the evaluation, by seed.</summary>
    public IReadOnlyDictionary<string, double> LossBySeed(string evaluation) =>
        Replicates
            .Where(r => r.TestLoss.ContainsKey(evaluation))
            .GroupBy(r => r.Setting("seed"))
            .ToDictionary(g => g.Key, g => g.First().TestLoss[evaluation]);

    public SampleSummary? Summary(string evaluation) =>
        LossBySeed(evaluation).Values.ToList() is { Count: > 0 } values ? SampleStatistics.Summarize(values) : null;
}

/// <summary>Groups completed runs into configurations.</summary>
public static class ReplicateGroups
{
    /// <summary>The completed runs grouped by every setting but the seed, in the order they first appear.</summary>
    public static IReadOnlyList<Configuration> Of(IEnumerable<RunRow> runs) =>
        runs.Where(r => r.IsCompleted)
            .GroupBy(r => string.Join("\n", r.Settings.Where(kv => kv.Key != "seed").Select(kv => $"{kv.Key}={kv.Value}")))
            .Select(g => new Configuration(g.First().Settings.Where(kv => kv.Key != "seed").ToList(), g.ToList()))
            .ToList();

    /// <summary>The settings (other than seed) whose value differs between configurations: what a table of
    /// configurations must show to tell them apart.</summary>
    public static IReadOnlyList<string> VaryingSettings(IReadOnlyList<Configuration> configurations) =>
        configurations.SelectMany(c => c.Settings.Select(kv => kv.Key)).Distinct()
            .Where(name => configurations.Select(c => c.Setting(name)).Distinct().Count() > 1)
            .ToList();
}
