using System.Diagnostics;
using System.Text.RegularExpressions;
using Gfe.Client.Commands;
using Gfe.Client.Results;
using Xunit;

namespace Gfe.Tests.EndToEnd;

/// <summary>
/// A real <c>gfe sweep run</c> process stopped with SIGTERM (as <c>kill</c>, <c>timeout</c> or a cancelled CI job stop
/// it): it must write the results it has, finished runs as completed and the rest as unfinished, and exit with 130.
/// Killed with SIGKILL (a crash, the out-of-memory killer), it must leave a whole runs.csv of what had finished, and
/// the same sweep run again must train only the runs that had not finished, resuming them from their checkpoints.
/// </summary>
public sealed partial class TerminatedSweepTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("gfe-term-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>gfe.dll of the same build and configuration as these tests (the solution builds it beside them).</summary>
    static string ClientAssembly()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var solution = output.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(solution, "Gfe.Client", "bin", output.Parent.Name, output.Name, "gfe.dll");
        Assert.True(File.Exists(path), $"{path} is not built");
        return path;
    }

    [GeneratedRegex(@"Run (\S+) started on \S+ \((.*)\)")]
    private static partial Regex StartedLine();

    [Fact]
    public async Task Sigkill_LeavesAWholeRunsCsv_AndRunningAgainTrainsOnlyTheUnfinishedRuns()
    {
        // Three quick simulated runs finish; three long ones (12 s: a wide margin on a loaded machine) are mid-way, with
        // checkpoints, when gfe is killed.
        var sweep = Path.Combine(root, "kill.yaml");
        File.WriteAllText(sweep, "name: kill\ngrid:\n  method: [simulate]\n  simulateSeconds: [0.3, 12]\n  seed: [0, 1, 2]\nsettings:\n  checkpointEvery: 1\n");
        var results = Path.Combine(root, "results");
        var runsFile = Path.Combine(results, "kill", ResultsWriter.RunsFile);
        var checkpoints = Path.Combine(root, "checkpoints");
        string[] arguments = ["sweep", "run", sweep, "--slots", "6", "--results", results, "--data-dir", Path.Combine(root, "data")];
        using (var gfe = StartGfe(arguments, out var text))
        {
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (!(Completed(runsFile) >= 3 && Directory.Exists(checkpoints) && Directory.GetFiles(checkpoints, "*.checkpoint.json").Length >= 3))
            {
                Assert.False(gfe.HasExited, $"gfe ended early:\n{text()}");
                Assert.True(DateTime.UtcNow < until, $"the quick runs did not finish:\n{text()}");
                await Task.Delay(50);
            }
            gfe.Kill(entireProcessTree: true);
            Assert.True(gfe.WaitForExit(TimeSpan.FromSeconds(10)), "gfe did not die of SIGKILL");
        }

        // The file the killed process left is whole: every run, the quick ones completed.
        var left = RunsCsv.Read(runsFile);
        Assert.Equal(6, left.Count);
        var finished = left.Where(r => r.IsCompleted).Select(r => r.Key).ToHashSet();
        Assert.Equal(3, finished.Count);
        Assert.All(left.Where(r => r.IsCompleted), r => Assert.Equal("0.3", r.Setting("simulateSeconds")));

        // The same sweep again: only the unfinished runs train, each from its checkpoint; the rest are reused.
        var log = Path.Combine(results, "kill", "gfe.log");
        long before = new FileInfo(log).Length;
        var console = new StringWriter();
        var code = await new GfeCommandLine(Terminal.Plain(console, console)).InvokeAsync(arguments, CancellationToken.None);
        Assert.True(code == ExitCodes.Success, $"exit {code}:\n{console}");
        string again;
        using (var file = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            file.Seek(before, SeekOrigin.Begin);
            again = new StreamReader(file).ReadToEnd();
        }
        var started = again.Split('\n').Select(l => StartedLine().Match(l)).Where(m => m.Success).ToList();
        Assert.Equal(left.Where(r => !r.IsCompleted).Select(r => r.Key).Order(), started.Select(m => m.Groups[1].Value).Order());
        Assert.All(started, m => Assert.Contains("resuming from its checkpoint", m.Groups[2].Value));
        var runs = RunsCsv.Read(runsFile);
        Assert.Equal(6, runs.Count);
        Assert.All(runs, r => Assert.True(r.IsCompleted, $"{r.Key} is {r.State}"));
    }

    [GeneratedRegex(@"Run (\S+) (stopped at \d+ images|completed) in")]
    private static partial Regex SegmentEndedLine();

    [GeneratedRegex(@"Sweep kill-search\.\S+ done after (\d+) decisions")]
    private static partial Regex SearchDoneLine();

    [Fact]
    public async Task Sigkill_of_a_local_search_and_running_it_again_trains_no_segment_twice_and_decides_nothing_twice()
    {
        // ASHA over six simulated trials of two replicates, one trial at a time (two slots), each 25-image segment
        // about 0.5 s: gfe is killed once two trials are decided, with the third one's runs in flight.
        const string Search = """
            name: kill-search
            search: {method: random, trials: 6, seed: 3}
            replicates: [0, 1]
            grid:
              method: [simulate]
              lr: {loguniform: [1e-4, 1e-1]}
            earlyStop: {rule: asha, metric: simulate, rungs: 25, reduction: 2}
            settings:
              trainSize: 100
              evalEvery: 25
              simulateSeconds: 2
              checkpointEvery: 1
            """;
        var sweep = Path.Combine(root, "kill-search.yaml");
        File.WriteAllText(sweep, Search);
        var parsed = Gfe.Client.Sweeps.SweepFileParser.Parse(Search, "kill-search.yaml");
        // Only this sweep's lines, to be safe.
        var keys = parsed.Runs.Select(r => r.Key).ToHashSet();
        List<Match> Ours(string text, Regex line) => Matches(text, line).Where(m => keys.Contains(m.Groups[1].Value)).ToList();
        var results = Path.Combine(root, "results");
        var log = Path.Combine(results, "kill-search", "gfe.log");
        string[] arguments = ["sweep", "run", sweep, "--slots", "2", "--results", results, "--data-dir", Path.Combine(root, "data")];
        using (var gfe = StartGfe(arguments, out var text))
        {
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (Ours(ReadShared(log), SegmentEndedLine()).Count < 4)
            {
                Assert.False(gfe.HasExited, $"gfe ended early:\n{text()}");
                Assert.True(DateTime.UtcNow < until, $"the search did not get going:\n{text()}");
                await Task.Delay(50);
            }
            gfe.Kill(entireProcessTree: true);
            Assert.True(gfe.WaitForExit(TimeSpan.FromSeconds(10)), "gfe did not die of SIGKILL");
        }
        var first = ReadShared(log);
        var endedBefore = Ours(first, SegmentEndedLine()).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToHashSet();
        Assert.Empty(Matches(first, SearchDoneLine()));

        // The same search again, in a process of its own too (its log is then its own): it attaches to the search
        // kept in runs.db and finishes it.
        using (var gfe = StartGfe(arguments, out var text))
        {
            Assert.True(gfe.WaitForExit(TimeSpan.FromSeconds(120)), $"the search did not finish:\n{text()}");
            gfe.WaitForExit();
            Assert.True(gfe.ExitCode == ExitCodes.Success, $"exit {gfe.ExitCode}:\n{text()}");
        }
        var again = ReadShared(log)[first.Length..];

        // The outcome is the rule's on the known curves, as if nothing had happened, with each decision taken once.
        var (expected, decisions) = EarlyStopSweepTests.Replayed(parsed);
        var runs = RunsCsv.Read(Path.Combine(results, "kill-search", ResultsWriter.RunsFile));
        Assert.Equal(12, runs.Count);
        Assert.All(runs, r => Assert.Equal(expected[r.Setting("lr")], r.ImagesSeen));
        Assert.Equal(decisions.ToString(), Assert.Single(Matches(again, SearchDoneLine())).Groups[1].Value);
        // No segment trained twice: of the segments (one per replicate and rung reached), the second gfe started only
        // those that had not ended before the kill, plus at most the two in flight when it came (their records may
        // not have been saved, so they end again, from their checkpoints).
        int segments = expected.Values.Sum(images => (int)Math.Log2(images / 25) + 1) * 2;
        int startedAgain = Ours(again, StartedLine()).Count;
        Assert.True(startedAgain >= segments - endedBefore.Count && startedAgain <= segments - endedBefore.Count + 2,
            $"{startedAgain} segments started again, {endedBefore.Count} of {segments} had ended before the kill:\n{first}\n----\n{again}");
        Assert.True(endedBefore.Count >= 4 && endedBefore.Count < segments, $"{endedBefore.Count} of {segments} segments ended before the kill");
        var endedAgain = Ours(again, SegmentEndedLine()).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        Assert.True(endedAgain.Intersect(endedBefore).Count() <= 2, "segments ended before the kill were trained again");
    }

    static List<Match> Matches(string text, Regex line) => text.Split('\n').Select(l => line.Match(l)).Where(m => m.Success).ToList();

    /// <summary>A file another process is writing, as it is now; empty while it does not exist.</summary>
    static string ReadShared(string path)
    {
        if (!File.Exists(path)) return "";
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(file).ReadToEnd();
    }

    /// <summary>Completed rows of runs.csv as it is now; 0 while it does not exist yet.</summary>
    static int Completed(string runsFile) => File.Exists(runsFile) ? RunsCsv.Read(runsFile).Count(r => r.IsCompleted) : 0;

    Process StartGfe(string[] arguments, out Func<string> text)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        start.ArgumentList.Add(ClientAssembly());
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["OMP_NUM_THREADS"] = "1";
        var gfe = Process.Start(start)!;
        var output = new List<string>();
        gfe.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add(e.Data); };
        gfe.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add(e.Data); };
        gfe.BeginOutputReadLine();
        gfe.BeginErrorReadLine();
        text = () => { lock (output) return string.Join('\n', output); };
        return gfe;
    }

    [Fact]
    public async Task Sigterm_WritesTheFinishedRuns_AndExitsWith130()
    {
        // Two quick simulated runs finish; two long ones are still training when the signal comes.
        var sweep = Path.Combine(root, "term.yaml");
        File.WriteAllText(sweep, "name: term\ngrid:\n  method: [simulate]\n  simulateSeconds: [0.5, 120]\n  seed: [0, 1]\n");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var argument in new[] { ClientAssembly(), "sweep", "run", sweep, "--slots", "4", "--results", Path.Combine(root, "results"), "--data-dir", Path.Combine(root, "data") })
            start.ArgumentList.Add(argument);
        using var gfe = Process.Start(start)!;
        var output = new List<string>();
        gfe.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add(e.Data); };
        gfe.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add(e.Data); };
        gfe.BeginOutputReadLine();
        gfe.BeginErrorReadLine();

        // Plain progress lines ("2/4 done, ...") tell when the quick runs are done.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!Seen("2/4 done"))
        {
            Assert.False(gfe.HasExited, $"gfe ended early:\n{Text()}");
            Assert.True(DateTime.UtcNow < until, $"the quick runs did not finish:\n{Text()}");
            await Task.Delay(100);
        }
        Process.Start("kill", ["-TERM", gfe.Id.ToString()])!.WaitForExit();

        Assert.True(gfe.WaitForExit(TimeSpan.FromSeconds(30)), $"gfe did not stop after SIGTERM:\n{Text()}");
        Assert.Equal(ExitCodes.Interrupted, gfe.ExitCode);
        var runs = RunsCsv.Read(Path.Combine(root, "results", "term", ResultsWriter.RunsFile));
        Assert.Equal(4, runs.Count);
        Assert.Equal(2, runs.Count(r => r.IsCompleted));
        Assert.All(runs.Where(r => r.IsCompleted), r => Assert.Equal("0.5", r.Setting("simulateSeconds")));
        Assert.All(runs.Where(r => !r.IsCompleted), r => Assert.Equal("running", r.State));

        bool Seen(string text) { lock (output) return output.Any(l => l.Contains(text, StringComparison.Ordinal)); }
        string Text() { lock (output) return string.Join('\n', output); }
    }
}
