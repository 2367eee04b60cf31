using System.Globalization;
using System.Text.RegularExpressions;
using Gfe.Client.Commands;
using Xunit;

namespace Gfe.Tests.Client;

/// <summary><c>gfe bench scheduler --local</c> at its smallest: every run completes and every figure the command
/// promises is printed and sane; no speed is asserted (that is what the command is for).</summary>
public sealed class SchedulerBenchCommandTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("gfe-bench-scheduler-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task LocalMode_CompletesEveryRun_AndPrintsThroughputProgressGapsAndMemory()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await new GfeCommandLine(Terminal.Plain(output, error)).InvokeAsync(
            ["bench", "scheduler", "--local", "--slots", "2", "--runs", "40", "--seconds", "0.01", "--log", Path.Combine(directory, "silo.log")],
            CancellationToken.None);
        var text = output.ToString();

        Assert.True(code == ExitCodes.Success, $"exit {code}\n{text}\n{error}");
        Assert.Contains("completed runs        40/40 on 1 silo(s)", text);
        double Figure(string pattern) => double.Parse(Regex.Match(text, pattern).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(Figure(@"throughput\s+([\d.]+) runs/s"), 0.1, 10_000);
        Assert.InRange(Figure(@"progress lines\s+first after ([\d.]+) s"), 0, 60);
        Assert.InRange(Figure(@"peak memory\s+([\d.]+) MB"), 10, 100_000);
        Assert.InRange(Figure(@"CPU per run\s+([\d.]+) ms"), 0.001, 10_000);
        // The progress lines themselves are those of 'gfe sweep run': the last one says every run is done.
        Assert.Contains("40/40 done", text);
    }

    [Fact]
    public void ValidateOnly_TimesTheSweepFile_AndStartsNothing()
    {
        var output = new StringWriter();
        var code = new GfeCommandLine(Terminal.Plain(output, TextWriter.Null)).InvokeAsync(
            ["bench", "scheduler", "--validate-only", "--runs", "1000"], CancellationToken.None).GetAwaiter().GetResult();
        Assert.Equal(ExitCodes.Success, code);
        Assert.Matches(@"validated a sweep file of 1000 runs in [\d.]+ s \([\d.]+ s of CPU\)", output.ToString());
        Assert.DoesNotContain("completed runs", output.ToString());
    }
}
