using System.Diagnostics;
using Gfe.Client.Commands;
using Gfe.Client.Results;
using Xunit;

namespace Gfe.Tests.EndToEnd;

/// <summary>
/// A real <c>gfe sweep run</c> process stopped with SIGTERM (as <c>kill</c>, <c>timeout</c> or a cancelled CI job stop
/// it): it must write the results it has, finished runs as completed and the rest as unfinished, and exit with 130.
/// </summary>
public sealed class TerminatedSweepTests : IDisposable
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
