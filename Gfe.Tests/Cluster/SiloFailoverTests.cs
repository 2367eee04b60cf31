using System.Text.RegularExpressions;
using Gfe.Client.Commands;
using Gfe.Client.Results;
using Xunit;
using Xunit.Abstractions;

namespace Gfe.Tests.Cluster;

/// <summary>
/// Failover with real processes: three gfe-silo processes with redis clustering and a shared checkpoint directory,
/// `gfe sweep run --cluster redis://...` on simulated runs that checkpoint, and one silo killed with SIGKILL while
/// it trains. Every run must finish exactly once, the killed silo's runs resumed elsewhere from their checkpoints.
/// </summary>
[Collection(RedisServerCollection.Name)]
public sealed partial class SiloFailoverTests(RedisServer redis, ITestOutputHelper output) : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("gfe-failover-").FullName;
    readonly List<SiloProcess> silos = [];

    string Checkpoints => Path.Combine(root, "checkpoints");

    const string Sweep = """
        name: failover
        grid:
          method: [simulate]
          dataset: [mnist]
          trainSize: [480, 960, 1920]
          seed: [0, 1, 2, 3]
        settings:
          simulateSeconds: 3
        """;

    const int RunCount = 12;

    [GeneratedRegex(@"Run (\S+) started on (\S+) \(.*\)")]
    private static partial Regex StartedLine();

    [GeneratedRegex(@"Run (\S+) completed in")]
    private static partial Regex CompletedLine();

    [RedisFact]
    public async Task Runs_of_a_killed_silo_resume_elsewhere_from_their_checkpoints_and_every_run_finishes_once()
    {
        var (sweepFile, results, console, gfe) = await StartSweepOnThreeSilos("failover.yaml", Sweep);

        // The victim: the first silo to train something, killed once one of its runs has saved a checkpoint.
        var (victim, inFlight) = await FirstSiloWithCheckpointedRun(TimeSpan.FromSeconds(90));
        victim.Kill();
        var completedOnVictim = Keys(victim.Lines, CompletedLine()).ToHashSet();
        inFlight.ExceptWith(completedOnVictim);
        // Taken at once: the survivors need seconds to declare the victim dead, so these are its checkpoints. A run in
        // flight that had not saved one yet restarts from the beginning, which is right too.
        var checkpointed = inFlight.Where(key => File.Exists(Path.Combine(Checkpoints, key + ".checkpoint.json"))).ToHashSet();
        output.WriteLine($"killed {victim.Name} with runs in flight: {string.Join(", ", inFlight)} (checkpointed: {string.Join(", ", checkpointed)})");

        int code;
        try
        {
            code = await gfe.WaitAsync(TimeSpan.FromSeconds(240));
        }
        finally
        {
            // Shown on failure too: what each silo did is the only account of a sweep that did not finish.
            foreach (var silo in silos)
                output.WriteLine($"--- {silo.Name}\n{string.Join('\n', silo.Lines)}");
            output.WriteLine($"--- gfe\n{console}");
        }
        Assert.True(code == ExitCodes.Success, $"gfe exited with {code}:\n{console}");

        // Complete results: every run once, completed.
        var table = CsvReader.ReadFile(Path.Combine(results, "failover", ResultsWriter.RunsFile));
        var rows = table.Skip(1).Select(r => table[0].Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
        Assert.Equal(RunCount, rows.Count);
        Assert.Equal(RunCount, rows.Select(r => r["key"]).Distinct().Count());
        Assert.All(rows, r => Assert.Equal("completed", r["state"], ignoreCase: true));

        // Trained to the end exactly once, across all silos (the victim's lines up to its death included).
        var completions = silos.SelectMany(s => Keys(s.Lines, CompletedLine())).GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(rows.Select(r => r["key"]).Order(), completions.Keys.Order());
        Assert.All(completions, c => Assert.True(c.Value == 1, $"run {c.Key} completed {c.Value} times"));

        // Nothing the victim finished was started again; what it had in flight resumed on a survivor from its checkpoint.
        var survivorStarts = silos.Where(s => s != victim).SelectMany(s => s.Lines).Where(l => StartedLine().IsMatch(l)).ToList();
        Assert.All(completedOnVictim, key => Assert.DoesNotContain(survivorStarts, l => StartedLine().Match(l).Groups[1].Value == key));
        Assert.NotEmpty(checkpointed);
        Assert.All(checkpointed, key => Assert.Contains(survivorStarts,
            l => StartedLine().Match(l).Groups[1].Value == key && l.Contains("resuming from its checkpoint", StringComparison.Ordinal)));
        Assert.All(inFlight, key => Assert.Contains(survivorStarts, l => StartedLine().Match(l).Groups[1].Value == key));

        // Finished runs leave no checkpoint behind (a completed status shows just before the record is saved and the
        // checkpoint removed, hence the short wait).
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Leftovers().Length > 0 && DateTime.UtcNow < limit) await Task.Delay(50);
        Assert.Empty(Leftovers());

        // Re-attaching to the finished sweep: the status of every run, and its results written again from the cluster.
        var cluster = $"redis://:{RedisServer.Password}@{redis.Endpoint}";
        var (statusCode, status) = await Gfe("sweep", "status", sweepFile, "--cluster", cluster);
        Assert.True(statusCode == ExitCodes.Success, status);
        Assert.Contains($"sweep failover: {RunCount}/{RunCount} completed", status);
        var again = Path.Combine(root, "again");
        var (resultsCode, written) = await Gfe("sweep", "results", sweepFile, "--cluster", cluster, "--results", again);
        Assert.True(resultsCode == ExitCodes.Success, written);
        Assert.Equal(File.ReadAllLines(Path.Combine(results, "failover", ResultsWriter.RunsFile)),
            File.ReadAllLines(Path.Combine(again, "failover", ResultsWriter.RunsFile)));
    }

    /// <summary>ASHA on 6 trials x 2 replicates, rungs at 240, 480 and 960 images.</summary>
    const string SearchSweep = """
        name: failover-search
        search: {method: random, trials: 6, seed: 1}
        replicates: [0, 1]
        grid:
          method: [simulate]
          lr: {loguniform: [1e-4, 1e-1]}
        earlyStop: {rule: asha, metric: simulate, rungs: 240, reduction: 2}
        settings:
          trainSize: 960
          evalEvery: 240
          simulateSeconds: 3
        """;

    [GeneratedRegex(@"Run (\S+) stopped at (\d+) images in")]
    private static partial Regex StoppedLine();

    [RedisFact]
    public async Task A_search_sweep_with_early_stopping_survives_a_killed_silo_and_ends_every_run_at_a_rung()
    {
        var (sweepFile, results, console, gfe) = await StartSweepOnThreeSilos("failover-search.yaml", SearchSweep);

        // The victim: the first silo training a run that has a checkpoint (a stopped run keeps its checkpoint, so the
        // run must be in flight: more starts than ends, completed or stopped, in the silo's log).
        List<string> InFlight(SiloProcess silo)
        {
            var ends = Keys(silo.Lines, CompletedLine()).Concat(Keys(silo.Lines, StoppedLine())).ToList();
            return Keys(silo.Lines, StartedLine()).GroupBy(k => k)
                .Where(g => g.Count() > ends.Count(e => e == g.Key)).Select(g => g.Key).ToList();
        }
        SiloProcess? victim = null;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (victim is null && DateTime.UtcNow < until)
        {
            victim = silos.FirstOrDefault(silo => InFlight(silo).Any(key => File.Exists(Path.Combine(Checkpoints, key + ".checkpoint.json"))));
            if (victim is null) await Task.Delay(20);
        }
        Assert.True(victim is not null, "no silo trained a checkpointed run:\n" + string.Join("\n", silos.SelectMany(s => s.Lines)));
        victim.Kill();
        // Those with a checkpoint must resume from it (one killed before its first checkpoint starts afresh).
        var inFlight = InFlight(victim).Where(key => File.Exists(Path.Combine(Checkpoints, key + ".checkpoint.json"))).ToList();
        output.WriteLine($"killed {victim.Name} with runs in flight: {string.Join(", ", inFlight)}");

        int code;
        try
        {
            code = await gfe.WaitAsync(TimeSpan.FromSeconds(240));
        }
        finally
        {
            foreach (var silo in silos)
                output.WriteLine($"--- {silo.Name}\n{string.Join('\n', silo.Lines)}");
            output.WriteLine($"--- gfe\n{console}");
        }
        Assert.True(code == ExitCodes.Success, $"gfe exited with {code}:\n{console}");

        // Every run ended at one of its rungs, replicates together; the rule stopped some and let some finish.
        var table = CsvReader.ReadFile(Path.Combine(results, "failover-search", ResultsWriter.RunsFile));
        var rows = table.Skip(1).Select(r => table[0].Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
        Assert.Equal(12, rows.Count);
        Assert.All(rows, r => Assert.True(
            (r["state"], r["imagesSeen"]) is ("stopped", "240") or ("stopped", "480") or ("completed", "960"),
            $"{r["key"]}: {r["state"]} at {r["imagesSeen"]}"));
        Assert.Contains(rows, r => r["state"] == "stopped");
        Assert.Contains(rows, r => r["state"] == "completed");
        Assert.All(rows.GroupBy(r => r["lr"]), trial => Assert.Single(trial.Select(r => r["imagesSeen"]).Distinct()));

        // What the victim had in flight resumed on a survivor from its checkpoint.
        var survivorStarts = silos.Where(s => s != victim).SelectMany(s => s.Lines).Where(l => StartedLine().IsMatch(l)).ToList();
        Assert.All(inFlight, key => Assert.Contains(survivorStarts,
            l => StartedLine().Match(l).Groups[1].Value == key && l.Contains("resuming from its checkpoint", StringComparison.Ordinal)));
    }

    string[] Leftovers() => Directory.Exists(Checkpoints) ? Directory.GetFiles(Checkpoints) : [];

    static async Task<(int Code, string Output)> Gfe(params string[] args)
    {
        var console = new StringWriter();
        var code = await new GfeCommandLine(Terminal.Plain(console, console)).InvokeAsync(args, CancellationToken.None);
        return (code, console.ToString());
    }

    /// <summary>Waits until a silo has started a run that has a checkpoint; returns that silo and the runs it has
    /// started so far.</summary>
    async Task<(SiloProcess Silo, HashSet<string> Started)> FirstSiloWithCheckpointedRun(TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < until)
        {
            foreach (var silo in silos)
            {
                var started = Keys(silo.Lines, StartedLine()).ToHashSet();
                if (started.Any(key => File.Exists(Path.Combine(Checkpoints, key + ".checkpoint.json"))))
                    return (silo, started);
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("no silo saved a checkpoint:\n" + string.Join("\n", silos.SelectMany(s => s.Lines)));
    }

    /// <summary>Redis emptied, three silo processes (2 slots, checkpoints every batch in one shared folder) ready, and
    /// `gfe sweep run` of <paramref name="text"/> against them under way.</summary>
    async Task<(string SweepFile, string Results, StringWriter Console, Task<int> Gfe)> StartSweepOnThreeSilos(string name, string text)
    {
        Assert.True(SiloProcess.FindSiloAssembly() is not null, $"gfe-silo.dll is not built beside {AppContext.BaseDirectory}");
        await redis.FlushAsync();
        for (int i = 1; i <= 3; i++)
            silos.Add(SiloProcess.Start($"silo-{i}", redis, root,
                "--Slots", "2", "--DataDirectory", Path.Combine(root, "data"),
                "--CheckpointDirectory", Checkpoints, "--CheckpointEvery", "1"));
        // The limits only keep a broken build from hanging the suite; on 2 busy cores a silo starts in ~5-15 s.
        await Task.WhenAll(silos.Select(s => s.WaitUntilReady(TimeSpan.FromSeconds(90))));

        var sweepFile = Path.Combine(root, name);
        File.WriteAllText(sweepFile, text);
        var results = Path.Combine(root, "results");
        var console = new StringWriter();
        var gfe = Task.Run(() => new GfeCommandLine(Terminal.Plain(console, console)).InvokeAsync(
            ["sweep", "run", sweepFile, "--cluster", $"redis://:{RedisServer.Password}@{redis.Endpoint}", "--results", results, "--quiet"],
            CancellationToken.None));
        return (sweepFile, results, console, gfe);
    }

    static IEnumerable<string> Keys(IEnumerable<string> lines, Regex line) =>
        lines.Select(l => line.Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value);

    public void Dispose()
    {
        foreach (var silo in silos) silo.Dispose();
        try { Directory.Delete(root, recursive: true); }
        catch (IOException) { /* a killed process may still hold a file for a moment; the temp folder is cleaned later */ }
    }
}
