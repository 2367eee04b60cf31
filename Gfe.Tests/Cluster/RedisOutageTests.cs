using System.Diagnostics;
using System.Text.RegularExpressions;
using Gfe.Client.Commands;
using Gfe.Client.Results;
using Xunit;
using Xunit.Abstractions;

namespace Gfe.Tests.Cluster;

/// <summary>
/// A Redis outage mid-sweep, with real processes: Redis with an append-only file, three gfe-silo processes and
/// `gfe sweep run --cluster redis://...` on simulated runs. Redis is stopped while runs start and finish, one silo
/// is sent SIGTERM while Redis is down, and Redis is started again from the same file. Every run must complete
/// exactly once, none may stay stuck, and running the sweep again must train nothing.
/// </summary>
[Collection(RedisServerCollection.Name)]
public sealed partial class RedisOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    readonly string root = Directory.CreateTempSubdirectory("gfe-outage-").FullName;
    readonly List<SiloProcess> silos = [];
    RedisServer? redis;

    string Checkpoints => Path.Combine(root, "checkpoints");

    const string Sweep = """
        name: outage
        grid:
          method: [simulate]
          dataset: [mnist]
          trainSize: [480, 960, 1920]
          seed: [0, 1, 2, 3, 4, 5]
        settings:
          simulateSeconds: 1.5
        """;

    const int RunCount = 18;

    /// <summary>How long Redis stays down: longer than a silo's grace period for stopping, so that the SIGTERM'd
    /// silo has to stop without it.</summary>
    static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    /// <summary>The silos' StopTimeout: a stopping silo exits within it, whatever its storage does.</summary>
    const int StopTimeout = 7;

    /// <summary>The limit for a silo stopping while Redis is down: its StopTimeout and a second for the process to end.</summary>
    static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(StopTimeout + 1);

    [GeneratedRegex(@"Run (\S+) started on (\S+) \(.*\)")]
    private static partial Regex StartedLine();

    [GeneratedRegex(@"Run (\S+) completed in")]
    private static partial Regex CompletedLine();

    public Task InitializeAsync() => Task.CompletedTask;

    [RedisFact]
    public async Task A_redis_outage_mid_sweep_loses_no_outcome_and_trains_no_run_twice()
    {
        Assert.True(SiloProcess.FindSiloAssembly() is not null, $"gfe-silo.dll is not built beside {AppContext.BaseDirectory}");
        redis = await RedisServer.StartPersistent(Path.Combine(root, "redis"));
        for (int i = 1; i <= 3; i++)
            silos.Add(SiloProcess.Start($"silo-{i}", redis, root,
                "--Slots", "2", "--DataDirectory", Path.Combine(root, "data"),
                "--CheckpointDirectory", Checkpoints, "--CheckpointEvery", "1", "--StopTimeout", StopTimeout.ToString()));
        await Task.WhenAll(silos.Select(s => s.WaitUntilReady(TimeSpan.FromSeconds(90))));

        var sweepFile = Path.Combine(root, "outage.yaml");
        File.WriteAllText(sweepFile, Sweep);
        var results = Path.Combine(root, "results");
        var cluster = $"redis://:{RedisServer.Password}@{redis.Endpoint}";
        var gfe = Task.Run(() => Gfe("sweep", "run", sweepFile, "--cluster", cluster, "--results", results, "--quiet"));

        // Mid-sweep: some runs done, others training or waiting.
        await Until(() => Completions().Count() >= 4, TimeSpan.FromSeconds(90), "no run completed");
        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} stopping redis after {Completions().Count()} completions");
        redis.Stop();
        var outage = Stopwatch.StartNew();

        // A silo stopped while Redis is down must still stop, within its grace period.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var leaving = silos[2];
        var stopping = Stopwatch.StartNew();
        leaving.Terminate();
        bool stopped = await Task.Run(() => leaving.WaitForExit(StopLimit + TimeSpan.FromSeconds(20)));
        var stopTime = stopping.Elapsed;
        output.WriteLine($"{leaving.Name} stopped {stopped} after {stopTime.TotalSeconds:F1} s of SIGTERM, redis down for {outage.Elapsed.TotalSeconds:F1} s");

        if (outage.Elapsed < Outage) await Task.Delay(Outage - outage.Elapsed);
        await redis.Restart();
        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} redis back after {outage.Elapsed.TotalSeconds:F1} s");

        (int Code, string Output) run;
        try
        {
            run = await gfe.WaitAsync(TimeSpan.FromSeconds(120));
        }
        finally
        {
            foreach (var silo in silos)
                output.WriteLine($"--- {silo.Name}\n{string.Join('\n', silo.Lines)}");
        }
        output.WriteLine($"--- gfe\n{run.Output}");
        Assert.True(stopped, $"{leaving.Name} did not stop within {StopLimit.TotalSeconds + 20:0} s of SIGTERM while Redis was down");
        Assert.True(stopTime < StopLimit, $"{leaving.Name} took {stopTime.TotalSeconds:F1} s to stop while Redis was down");
        Assert.True(stopTime < outage.Elapsed, "Redis came back before the silo stopped, so the test proves nothing");
        Assert.True(run.Code == ExitCodes.Success, $"gfe exited with {run.Code}:\n{run.Output}");

        // The outage really hit writes, and they were retried rather than failing runs.
        var lines = silos.SelectMany(s => s.Lines).ToList();
        Assert.Contains(lines, l => l.Contains("could not be saved (attempt", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => Regex.IsMatch(l, @"Run \S+ failed"));

        // Every run completed, and was trained to the end exactly once across all silos.
        var rows = RunsCsv.Read(Path.Combine(results, "outage", ResultsWriter.RunsFile));
        Assert.Equal(RunCount, rows.Count);
        Assert.All(rows, r => Assert.True(r.IsCompleted, $"{r.Key} is {r.State}"));
        var completions = Completions().GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(rows.Select(r => r.Key).Order(), completions.Keys.Order());
        Assert.All(completions, c => Assert.True(c.Value == 1, $"run {c.Key} completed {c.Value} times"));

        // The same sweep again reuses every run: no silo starts anything. An outcome the stopped silo kept in a file
        // (its status was already "completed") is recorded by the run's next activation, at the latest once the
        // stopped silo is declared dead and its lease goes back to the queue; this run waits for that.
        int starts = silos.Sum(s => s.Lines.Count(l => StartedLine().IsMatch(l)));
        var again = await Gfe("sweep", "run", sweepFile, "--cluster", cluster, "--results", Path.Combine(root, "again"), "--quiet");
        Assert.True(again.Code == ExitCodes.Success, again.Output);
        Assert.Equal(starts, silos.Sum(s => s.Lines.Count(l => StartedLine().IsMatch(l))));
        Assert.Equal(RunCount, RunsCsv.Read(Path.Combine(root, "again", "outage", ResultsWriter.RunsFile)).Count(r => r.IsCompleted));

        // Nothing left behind: checkpoints and kept outcomes go once the record is stored.
        await Until(() => Leftovers().Length == 0, TimeSpan.FromSeconds(10), "files left in the checkpoint directory");
    }

    IEnumerable<string> Completions() =>
        silos.SelectMany(s => s.Lines).Select(l => CompletedLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value);

    string[] Leftovers() => Directory.Exists(Checkpoints) ? Directory.GetFiles(Checkpoints) : [];

    async Task Until(Func<bool> condition, TimeSpan limit, string failure)
    {
        var until = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"{failure}:\n{string.Join('\n', silos.SelectMany(s => s.Lines))}\n{string.Join('\n', Leftovers())}");
            await Task.Delay(50);
        }
    }

    static async Task<(int Code, string Output)> Gfe(params string[] args)
    {
        var console = new StringWriter();
        var code = await new GfeCommandLine(Terminal.Plain(console, console)).InvokeAsync(args, CancellationToken.None);
        return (code, console.ToString());
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in silos) silo.Dispose();
        if (redis is not null) await redis.DisposeAsync();
        try { Directory.Delete(root, recursive: true); }
        catch (IOException) { /* a killed process may still hold a file for a moment */ }
    }
}
