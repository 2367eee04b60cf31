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
