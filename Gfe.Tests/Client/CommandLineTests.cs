using Gfe.Client.Commands;
using Xunit;

namespace Gfe.Tests.Client;

public sealed class CommandLineTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("gfe-cli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    (int Code, string Output, string Error) Invoke(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = new GfeCommandLine(Terminal.Plain(output, error)).InvokeAsync(args, CancellationToken.None).GetAwaiter().GetResult();
        return (code, output.ToString(), error.ToString());
    }

    string SweepFile(string name, string yaml)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void SweepRun_WithABadSweepFile_Exits2_NamingTheKey_AndRunsNothing()
    {
        var file = SweepFile("bad.yaml", "name: bad\ngrid:\n  method: [ae]\n  trainSize: [480]\n  sead: [0]\n");
        var results = Path.Combine(directory, "results");

        var (code, _, error) = Invoke("sweep", "run", file, "--results", results);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("bad.yaml:5:3: grid.sead: unknown setting", error);
        Assert.DoesNotContain("   at ", error); // no stack trace
        Assert.False(Directory.Exists(results));
    }

    [Fact]
    public void SweepRun_WithAMissingFile_Exits2()
    {
        var (code, _, error) = Invoke("sweep", "run", Path.Combine(directory, "nope.yaml"));
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("not found", error);
    }

    [Fact]
    public void SweepRun_WithABadClusterAddress_Exits2()
    {
        var file = SweepFile("ok.yaml", "grid:\n  method: [simulate]\n");
        var (code, _, error) = Invoke("sweep", "run", file, "--cluster", "localhost:port", "--results", Path.Combine(directory, "r"));
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("--cluster", error);
    }

    [Fact]
    public void SweepValidate_PrintsTheExpandedRuns()
    {
        var file = SweepFile("ok.yaml", "name: ok\ngrid:\n  method: [ae, gfe-amd]\n  seed: [0, 1]\n");

        var (code, output, error) = Invoke("sweep", "validate", file);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal("", error);
        Assert.Contains("sweep ok: 4 runs", output);
        Assert.Contains("ae.mnist.n480.s1.", output);
        Assert.Contains("gfe-amd.mnist.n480.s0.", output);
    }

    [Fact]
    public void SweepValidate_WithABadValue_Exits2()
    {
        var file = SweepFile("bad.yaml", "grid:\n  seed: [zero]\n");
        var (code, _, error) = Invoke("sweep", "validate", file);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("grid.seed", error);
    }

    [Fact]
    public void UnknownOptionOrMissingArgument_Exits2()
    {
        Assert.Equal(ExitCodes.InvalidInput, Invoke("sweep", "run").Code);
        var (code, _, error) = Invoke("sweep", "run", "x.yaml", "--slotz", "2");
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("--slotz", error);
        Assert.Equal(ExitCodes.InvalidInput, Invoke("sweep", "run", "x.yaml", "--slots", "0").Code);
        Assert.Equal(ExitCodes.InvalidInput, Invoke("data", "fetch", "cifar").Code);
    }

    [Fact]
    public void ListSettings_ShowsEverySettingWithItsDefault()
    {
        var (code, output, _) = Invoke("sweep", "list-settings");
        Assert.Equal(ExitCodes.Success, code);
        Assert.All(Gfe.Engine.Runs.RunParameters.All, p => Assert.Contains(p.Name, output));
        Assert.Contains("fashion-mnist", output);
    }

    [Fact]
    public void Help_ExplainsSweepRun()
    {
        var (code, output, _) = Invoke("sweep", "run", "--help");
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("--results", output);
        Assert.Contains("--cluster", output);
        Assert.Contains("Exit codes", output);
    }
}
