using Gfe.Abstractions;
using Gfe.Client.Commands;
using Gfe.Client.Results;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using RunSpecs = Gfe.Grains.RunSpecs;
using Xunit;

namespace Gfe.Tests.Client;

/// <summary>The model settings (latentDim, hidden, activation, loss) through the real sweep parser and command line:
/// list values, grid axes of lists, keys, the spec a grain reads back, and bad values refused with exit code 2.</summary>
public sealed class ModelSettingsSweepTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("gfe-model-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    (int Code, string Output, string Error) Invoke(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = new GfeCommandLine(Terminal.Plain(output, error)).InvokeAsync(args, CancellationToken.None).GetAwaiter().GetResult();
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void A_list_valued_setting_is_a_grid_axis_of_lists_and_reaches_the_run_config()
    {
        var sweep = SweepFileParser.Parse("""
            grid:
              hidden: [[64, 32], [128], [150, 300, 600]]
            settings:
              latentDim: 8
              activation: tanh
              loss: mse
            """, "models.yaml");

        Assert.Equal([[64, 32], [128], [150, 300, 600]], sweep.Runs.Select(r => r.Config.Hidden.ToArray()));
        Assert.All(sweep.Runs, r => Assert.Equal((8, Activation.Tanh, LossKind.Mse), (r.Config.LatentDim, r.Config.Activation, r.Config.Loss)));
        Assert.Equal(["[64, 32]", "[128]", "[150, 300, 600]"], sweep.Runs.Select(r => r.Spec.Settings["hidden"]));
        Assert.Equal(3, sweep.Runs.Select(r => r.Key).Distinct().Count());
        // What a grain does with the spec: the same config, the same key.
        Assert.All(sweep.Runs, r => Assert.Equal(r.Config, RunSpecs.ToConfig(r.Spec, r.Key)));
    }

    [Fact]
    public void A_list_setting_under_settings_or_runs_is_one_list()
    {
        var sweep = SweepFileParser.Parse("""
            grid:
              seed: [0]
            settings:
              hidden: [300, 100]
            runs:
              - { hidden: [16], seed: 1 }
            """, "lists.yaml");

        Assert.Equal([[300, 100], [16]], sweep.Runs.Select(r => r.Config.Hidden.ToArray()));
    }

    [Fact]
    public void The_paper_defaults_written_out_keep_the_key_they_have_when_left_out()
    {
        // amd.kernel named: its default became auto, which gives new keys on purpose (docs/engine.md).
        var plain = SweepFileParser.Parse("grid:\n  seed: [0]\nsettings:\n  amd.kernel: torch\n", "a.yaml").Runs.Single();
        var spelled = SweepFileParser.Parse(
            "grid:\n  seed: [0]\nsettings:\n  amd.kernel: torch\n  latentDim: 20\n  hidden: [150, 300, 600]\n  activation: elu\n  loss: bce\n", "b.yaml").Runs.Single();

        Assert.Equal(plain.Key, spelled.Key);
        Assert.Equal("gfe-amd.mnist.n480.s0.2e5f812e1d", plain.Key);   // the key before these settings existed
        Assert.NotEqual(plain.Key, SweepFileParser.Parse("grid:\n  seed: [0]\nsettings:\n  amd.kernel: torch\n  loss: mse\n", "c.yaml").Runs.Single().Key);
    }

    [Theory]
    [InlineData("settings:\n  latentDim: 0\n", "'latentDim' must be at least 1, not 0")]
    [InlineData("settings:\n  hidden: []\n", "'hidden' must list at least one width")]
    [InlineData("settings:\n  hidden: [64, -3]\n", "'hidden' widths must be positive whole numbers, not -3")]
    [InlineData("settings:\n  hidden: [1e9]\n", "too large for memory: it would need about")]
    [InlineData("settings:\n  activation: foo\n", "'activation' must be one of elu, relu, tanh, silu, not 'foo'")]
    [InlineData("settings:\n  loss: foo\n", "'loss' must be one of bce, mse, not 'foo'")]
    [InlineData("settings:\n  hidden: 64\n", "expected a list, e.g. [64, 32]")]
    [InlineData("", "each value of this axis is itself a list", "  hidden: [64, 32]\n")]
    public void A_bad_model_setting_exits_2_with_a_clear_message_before_anything_runs(string settings, string message, string axis = "")
    {
        var file = Path.Combine(directory, "bad.yaml");
        File.WriteAllText(file, "name: bad\ngrid:\n  method: [gfe-amd]\n" + axis + settings);
        var results = Path.Combine(directory, "results");

        var (code, _, error) = Invoke("sweep", "run", file, "--results", results);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains(message, error);
        Assert.Contains("bad.yaml:", error);
        Assert.DoesNotContain("   at ", error);   // no stack trace
        Assert.False(Directory.Exists(results));
    }

    /// <summary>The engine's checks of a whole run (RunChecks) run in the parser too: before, these passed
    /// validation and failed only when the run started.</summary>
    [Theory]
    [InlineData("gfe-amd", "  rmsAlpha: 1.5\n", "6:13: rmsAlpha: rmsAlpha must lie in (0, 1), not 1.5")]
    [InlineData("gfe-amd", "  amd.beta: 2\n", "6:13: amd.beta: amd.beta must lie in (0, 1), not 2")]
    [InlineData("gfe-rk4", "  flow.logBase: 0.5\n", "6:17: flow.logBase: flow.logBase must be greater than 1, not 0.5")]
    public void The_engines_checks_of_a_whole_run_refuse_it_in_the_parser(string method, string settings, string message)
    {
        var file = Path.Combine(directory, "bad.yaml");
        File.WriteAllText(file, $"name: bad\ngrid:\n  method: [{method}]\n  seed: [0]\nsettings:\n{settings}");

        var (code, _, error) = Invoke("sweep", "validate", file);

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("bad.yaml:" + message, error);
    }

    [Fact]
    public void A_model_too_large_for_memory_says_how_much_it_would_need()
    {
        var config = new RunConfig { Hidden = [1_000_000_000] };

        var problem = ModelSettings.Problem(config, 784, availableBytes: 16_000_000_000);

        // 20 x 1e9 + 1e9 + 1e9 x 784 + 784 parameters, 12 bytes each: 9.66 TB; activations of 16 rows, 16 bytes per
        // width: 0.26 TB.
        Assert.Contains("the model 20-1000000000-784 is too large for memory: it would need about 9.9 TB (9.7 TB for parameters, gradients and RMSprop state, 256 GB for activations)", problem);
        Assert.Contains("more than the 16 GB here", problem);
        Assert.Null(ModelSettings.Problem(new RunConfig(), 784, availableBytes: 16_000_000_000));
    }

    [Fact]
    public void A_list_setting_goes_into_runs_csv_and_the_table_and_reads_back()
    {
        var sweep = SweepFileParser.Parse("grid:\n  hidden: [[64, 32], [128]]\n  seed: [0, 1]\nsettings:\n  loss: mse\n", "lists.yaml");
        var records = sweep.Runs.Select(run => new RunRecord(run, new RunStatus(run.Key, RunState.Completed, "done", 1, 480, 0.25, "silo", null,
            new RunOutcome(new Dictionary<string, double> { [Evaluations.GfeAmd] = run.Config.Hidden.Count + 0.1 * run.Config.Seed },
                0.25, 480, 10, new AmdSummary(1, 1, 0, 0, 1), new AmdSummary(1, 1, 0, 0, 1), 1, 1, [new CurveSample(480, 1, 0.5)], "synthetic", "cpu"),
            null, null))).ToList();
        var results = Path.Combine(directory, "results");

        ResultsWriter.Write(results, sweep, new SweepOutcome(records, false, DateTime.UtcNow, DateTime.UtcNow));

        var rows = CsvReader.ReadFile(Path.Combine(results, ResultsWriter.RunsFile));
        int hidden = Array.IndexOf(rows[0], "hidden"), loss = Array.IndexOf(rows[0], "loss");
        Assert.Equal(["[64, 32]", "[64, 32]", "[128]", "[128]"], rows.Skip(1).Select(r => r[hidden]));
        Assert.All(rows.Skip(1), r => Assert.Equal("mse", r[loss]));
        Assert.Contains("\"[64, 32]\"", File.ReadAllText(Path.Combine(results, ResultsWriter.RunsFile)));   // quoted: it holds a comma
        var table = File.ReadAllLines(Path.Combine(results, ResultsWriter.TableMarkdownFile));
        Assert.Contains(table, line => line.StartsWith("Test loss per image (loss: mse, the mean squared error per feature)", StringComparison.Ordinal));
        Assert.Contains("| dataset | trainSize | hidden | GFE-amd |", table);
        Assert.Contains("| mnist | 480 | [64, 32] | 2.0500 ± 0.0707 (n=2) |", table);
        // gfe report remakes the same table from runs.csv alone.
        var before = File.ReadAllText(Path.Combine(results, ResultsWriter.TableMarkdownFile));
        ResultsReport.Write(results, "lists", "");
        Assert.Equal(before, File.ReadAllText(Path.Combine(results, ResultsWriter.TableMarkdownFile)));
    }

    [Fact]
    public void List_settings_shows_the_model_settings_with_their_defaults()
    {
        var (code, output, _) = Invoke("sweep", "list-settings");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("[150, 300, 600]", output);
        foreach (var name in new[] { "latentDim", "hidden", "activation", "loss" }) Assert.Contains(name, output);
    }
}
