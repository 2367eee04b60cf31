using System.CommandLine;
using System.Diagnostics;
using Gfe.Client.Commands;
using Gfe.Client.Sweeps;
using Gfe.Grains;
using Gfe.Tests.Cluster;
using Microsoft.Extensions.Configuration;
using Xunit;
using static Gfe.Tests.Client.GfeCli;

namespace Gfe.Tests.Client;

/// <summary>Bad input anywhere on the command line ends in one line on stderr and the documented exit code, never a
/// stack trace (exit 134).</summary>
public sealed class BadInputTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("gfe-bad-input-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    static readonly Type[] NumericTypes =
        [typeof(int), typeof(int?), typeof(long), typeof(long?), typeof(double), typeof(double?), typeof(IReadOnlyList<int>)];

    /// <summary>Every option of every command whose value is a number, with the command path that reaches it and
    /// a placeholder for each of the command's arguments and required options.</summary>
    static IEnumerable<(string[] Path, Option Option)> NumericOptions()
    {
        var pending = new Stack<(string[] Path, Command Command)>();
        pending.Push(([], new GfeCommandLine(Terminal.Plain(TextWriter.Null, TextWriter.Null)).Build()));
        while (pending.Count > 0)
        {
            var (path, command) = pending.Pop();
            foreach (var sub in command.Subcommands) pending.Push(([.. path, sub.Name], sub));
            // Required options get a placeholder too, so that the parser reaches the numeric option under test.
            string[] required = [.. command.Options.Where(o => o.Required).SelectMany(o => new[] { o.Name, "placeholder" })];
            foreach (var option in command.Options.Where(o => NumericTypes.Contains(o.ValueType)))
                yield return ([.. path, .. command.Arguments.Select(_ => "placeholder.yaml"), .. required], option);
        }
    }

    [Fact]
    public void EveryNumericOption_GivenANonNumber_Exits2_WithOneLineNamingIt()
    {
        var options = NumericOptions().ToList();
        // The walk must find the options the issue names, or it checks nothing.
        Assert.Contains(options, o => o.Path.Take(2).SequenceEqual(["sweep", "run"]) && o.Option.Name == "--slots");
        Assert.Contains(options, o => o.Path.Take(2).SequenceEqual(["bench", "scheduler"]) && o.Option.Name == "--runs");
        Assert.Contains(options, o => o.Path.Take(2).SequenceEqual(["sweep", "status"]) && o.Option.Name == "--connect-timeout");
        Assert.True(options.Count >= 15, $"only {options.Count} numeric options found");

        foreach (var (path, option) in options)
        {
            // Not a number for every option; a fraction for whole numbers; past int's range for int options.
            List<string> bad = ["abc", "12abc"];
            if (option.ValueType != typeof(double) && option.ValueType != typeof(double?)) bad.Add("1.5");
            if (option.ValueType == typeof(int) || option.ValueType == typeof(int?)) bad.Add("99999999999");
            foreach (var value in bad) AssertRefused([.. path, option.Name, value], option.Name);
        }
        // Numbers out of range are refused the same way.
        AssertRefused(["sweep", "run", "f.yaml", "--slots", "0"], "--slots");
        AssertRefused(["sweep", "run", "f.yaml", "--connect-timeout", "NaN"], "--connect-timeout");
        AssertRefused(["bench", "scheduler", "--seconds", "-1"], "--seconds");
    }

    static void AssertRefused(string[] args, string optionName)
    {
        var (code, output, error) = Invoke(args);
        var line = $"gfe {string.Join(' ', args)}";
        Assert.True(code == ExitCodes.InvalidInput, $"{line}: exit {code}\n{output}{error}");
        Assert.True(error.TrimEnd().Split('\n').Length == 1, $"{line}: more than one line:\n{error}");
        Assert.Contains(optionName, error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void SiloOptions_OfTheWrongType_ThrowAnArgumentExceptionNamingTheSetting()
    {
        foreach (var bad in new[] { "abc", "1.5", "99999999999" })
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("Slots", bad)]).Build();
            var e = Assert.Throws<ArgumentException>(() => GfeSiloOptions.From(configuration));
            Assert.Contains("Slots", e.Message);
            Assert.Contains(bad, e.Message);
        }
    }

    [Fact]
    public void SiloProcess_WithSlotsAbc_PrintsOneLine_AndExits2()
    {
        var assembly = SiloProcess.FindSiloAssembly() ?? throw new InvalidOperationException("gfe-silo.dll is not built beside the tests");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { assembly, "--Slots", "abc", "--LogDirectory", Path.Combine(directory, "logs") })
            start.ArgumentList.Add(argument);
        using var silo = Process.Start(start)!;
        var error = silo.StandardError.ReadToEndAsync();
        Assert.True(silo.WaitForExit(TimeSpan.FromSeconds(60)), "gfe-silo did not exit");
        Assert.Equal(2, silo.ExitCode);
        var text = error.Result.TrimEnd();
        Assert.Single(text.Split('\n'));
        Assert.StartsWith("gfe-silo: ", text);
        Assert.Contains("'abc' at 'Slots'", text);
    }

    [Fact]
    public void ABatchLargerThanTheTrainingImages_IsRefused()
    {
        var e = Assert.Throws<SweepFileException>(() =>
            SweepFileParser.Parse("grid:\n  method: [ae]\n  trainSize: [100, 480]\nsettings:\n  batchSize: 200\n", "b.yaml"));
        Assert.Contains("b.yaml:5:14: batchSize: batchSize 200 is larger than trainSize 100", e.Message);
        Assert.DoesNotContain("trainSize 480", e.Message);
        // trainSize 0 is the whole split: any batch up to it is fine.
        Assert.Single(SweepFileParser.Parse("grid:\n  seed: [0]\nsettings:\n  trainSize: 0\n  batchSize: 1000\n", "b.yaml").Runs);
    }

    [Fact]
    public void ASweepFileOverOneMegabyte_IsRefusedBeforeItIsRead()
    {
        var file = Path.Combine(directory, "huge.yaml");
        File.WriteAllText(file, "name: huge\ngrid:\n  seed: [0]\n#" + new string('x', (int)SweepFileParser.MaxFileBytes) + "\n");

        var (code, output, error) = Invoke("sweep", "validate", file);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Equal("", output);
        Assert.Contains("may be at most 1 MB", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void StatusOfAClusterThatDoesNotAnswer_Exits3_WithinTheTimeout_AndLogsIntoTheStateFolder()
    {
        var file = Path.Combine(directory, "s.yaml");
        File.WriteAllText(file, "name: nobody-home\ngrid:\n  method: [simulate]\n");
        var port = SiloProcess.FreePort();
        var state = Path.Combine(directory, "state");
        Environment.SetEnvironmentVariable(Gfe.Client.Running.StatePaths.EnvironmentVariable, state);
        try
        {
            var clock = Stopwatch.StartNew();
            var (code, _, error) = Invoke("sweep", "status", file, "--cluster", $"localhost:{port}", "--connect-timeout", "1");

            Assert.Equal(ExitCodes.Unavailable, code);
            Assert.Contains("within 1 s (--connect-timeout)", error);
            Assert.Single(error.TrimEnd().Split('\n'));
            // 1 s to give up plus starting and stopping the client, not the 30 s it was.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
            Assert.True(File.Exists(Path.Combine(state, "nobody-home.log")), "the log is not in the state folder");
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(state));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Gfe.Client.Running.StatePaths.EnvironmentVariable, null);
        }
    }
}
