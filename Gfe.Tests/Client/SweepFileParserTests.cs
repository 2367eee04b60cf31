using Gfe.Client.Sweeps;
using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using Xunit;

namespace Gfe.Tests.Client;

public sealed class SweepFileParserTests
{
    const string File = "test.yaml";

    static SweepFileException Invalid(string yaml) =>
        Assert.Throws<SweepFileException>(() => SweepFileParser.Parse(yaml, File));

    [Fact]
    public void UnknownTopLevelKey_NamesKeyAndLine()
    {
        var e = Invalid("name: x\ngrid:\n  seed: [0]\ncolour: blue\n");
        Assert.Contains("test.yaml:4:1: colour:", e.Message);
        Assert.Contains("unknown top-level key", e.Message);
    }

    [Fact]
    public void UnknownSetting_NamesKeyAndLine()
    {
        var e = Invalid("grid:\n  seed: [0]\n  learningRate: [0.1]\n");
        Assert.Contains("test.yaml:3:3: grid.learningRate: unknown setting", e.Message);
    }

    [Fact]
    public void UnknownFixedSetting_NamesKeyAndLine()
    {
        var e = Invalid("grid:\n  seed: [0]\nsettings:\n  epoch: 3\n");
        Assert.Contains("test.yaml:4:3: settings.epoch: unknown setting", e.Message);
    }

    [Fact]
    public void BadValue_NamesSettingLineAndValue()
    {
        var e = Invalid("grid:\n  seed: [0, 1]\n  trainSize: [480, lots]\n");
        Assert.Contains("test.yaml:3:20: grid.trainSize:", e.Message);
        Assert.Contains("'lots'", e.Message);
    }

    [Fact]
    public void BadValueInExplicitRun_NamesRunIndex()
    {
        var e = Invalid("runs:\n  - { seed: 0 }\n  - { seed: 1, lr: -1 }\n");
        Assert.Contains("test.yaml:3:20: runs[1].lr:", e.Message);
        Assert.Contains("positive", e.Message);
    }

    [Fact]
    public void UnknownMethod_NamesMethodAndLine()
    {
        var e = Invalid("grid:\n  method: [ae, vae]\n");
        Assert.Contains("test.yaml:2:16: grid.method:", e.Message);
        Assert.Contains("'vae'", e.Message);
    }

    [Fact]
    public void UnknownDataset_NamesDatasetAndLine()
    {
        var e = Invalid("grid:\n  dataset: [mnist, cifar10]\n  seed: [0]\n");
        Assert.Contains("test.yaml:2:20: grid.dataset: unknown dataset 'cifar10'", e.Message);
    }

    [Fact]
    public void TrainSizeLargerThanDataset_NamesTrainSizeLine()
    {
        var mnist = DatasetCatalog.Find("mnist")!;
        var e = Invalid($"grid:\n  dataset: [mnist]\n  trainSize: [480, {mnist.TrainCount + 1}]\n");
        Assert.Contains("test.yaml:3:20: trainSize:", e.Message);
        Assert.Contains($"larger than the {mnist.TrainCount} training images of mnist", e.Message);
    }

    [Fact]
    public void TestSizeLargerThanDataset_NamesTestSizeLine()
    {
        var e = Invalid($"grid:\n  seed: [0]\nsettings:\n  testSize: {DatasetCatalog.Find("mnist")!.TestCount + 1}\n");
        Assert.Contains("test.yaml:4:13: testSize:", e.Message);
    }

    [Fact]
    public void AxisThatIsNotAList_IsRejected()
    {
        var e = Invalid("grid:\n  seed: 0\n");
        Assert.Contains("test.yaml:2:9: grid.seed: a grid axis must be a list", e.Message);
    }

    [Fact]
    public void EmptyAxis_IsRejected()
    {
        var e = Invalid("grid:\n  method: [ae]\n  seed: []\n");
        Assert.Contains("test.yaml:3:9: grid.seed: a grid axis must not be empty", e.Message);
    }

    [Fact]
    public void EmptyGrid_IsRejected()
    {
        var e = Invalid("name: x\ngrid: {}\n");
        Assert.Contains("test.yaml:2:7: grid: the grid is empty", e.Message);
    }

    [Fact]
    public void SweepWithoutGridOrRuns_IsRejected()
    {
        var e = Invalid("name: x\nsettings:\n  seed: 1\n");
        Assert.Contains("grid: the sweep has no runs", e.Message);
    }

    [Fact]
    public void MalformedYaml_NamesLine()
    {
        var e = Invalid("name: x\ngrid:\n  seed: 0\n  method: [ae, gfe-amd\n");
        Assert.StartsWith("test.yaml:5:", e.Message);
        Assert.Contains("malformed YAML", e.Message);
    }

    [Fact]
    public void UnclosedBracketBeforeAKey_NamesTheLineOfTheBracket()
    {
        var e = Invalid("name: x\ngrid:\n  seed: [0, 1\nsettings:\n  testSize: 10\n");
        Assert.StartsWith("test.yaml:3:", e.Message);
        Assert.Contains("malformed YAML", e.Message);
    }

    [Fact]
    public void DuplicateYamlKey_NamesLine()
    {
        var e = Invalid("grid:\n  seed: [0]\n  seed: [1]\n");
        Assert.StartsWith("test.yaml:3:", e.Message);
        Assert.Contains("seed", e.Message);
    }

    [Fact]
    public void EmptyFile_IsRejected()
    {
        Assert.Contains("empty", Invalid("").Message);
    }

    [Fact]
    public void MissingFile_IsRejected()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gfe-missing-{Guid.NewGuid():N}.yaml");
        var e = Assert.Throws<SweepFileException>(() => SweepFileParser.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void SettingBothAxisAndFixed_IsRejected()
    {
        var e = Invalid("grid:\n  seed: [0, 1]\nsettings:\n  seed: 2\n");
        Assert.Contains("test.yaml:2:3: grid.seed: is both a grid axis and a fixed setting", e.Message);
    }

    [Fact]
    public void EveryProblemIsReported_NotOnlyTheFirst()
    {
        var e = Invalid("grid:\n  method: [vae]\n  seed: [x]\nextra: 1\n");
        Assert.Contains("grid.method", e.Message);
        Assert.Contains("grid.seed", e.Message);
        Assert.Contains("extra", e.Message);
    }

    [Fact]
    public void Grid_ExpandsToTheProductInNestedLoopOrder()
    {
        const string yaml = """
            name: quick
            grid:
              method: [ae, gfe-amd]
              dataset: [mnist, fashion-mnist]
              seed: [0, 1, 2]
            settings:
              testSize: 1000
            """;
        var sweep = SweepFileParser.Parse(yaml, File);

        Assert.Equal("quick", sweep.Name);
        Assert.Equal(12, sweep.Runs.Count);
        var expected =
            from method in new[] { RunMethod.Ae, RunMethod.GfeAmd }
            from dataset in new[] { "mnist", "fashion-mnist" }
            from seed in new[] { 0, 1, 2 }
            select (method, dataset, seed);
        Assert.Equal(expected, sweep.Runs.Select(r => (r.Config.Method, r.Config.Dataset, r.Config.Seed)));
        Assert.All(sweep.Runs, r => Assert.Equal(1000, r.Config.TestSize));
        Assert.All(sweep.Runs, r => Assert.Equal(RunKey.For(r.Config), r.Key));
        Assert.Equal(12, sweep.Runs.Select(r => r.Key).Distinct().Count());

        // Deterministic: the same text gives the same runs and keys.
        Assert.Equal(sweep.Runs.Select(r => r.Key), SweepFileParser.Parse(yaml, File).Runs.Select(r => r.Key));
    }

    [Fact]
    public void Spec_CarriesEveryCanonicalSetting()
    {
        var run = SweepFileParser.Parse("grid:\n  lr: [1e-3]\n  z0: [ZERO]\n", File).Runs.Single();
        var expected = RunParameters.ToList(run.Config);
        Assert.Equal(expected.Count, run.Spec.Settings.Count);
        Assert.All(expected, kv => Assert.Equal(kv.Value, run.Spec.Settings[kv.Key]));
        Assert.Equal("zero", run.Spec.Settings["z0"]);
        Assert.Equal(1e-3, run.Config.LearningRate);
    }

    [Fact]
    public void DuplicateRuns_AreRemovedAndNoted()
    {
        const string yaml = """
            grid:
              method: [ae]
              seed: [0, 1, 0]
            runs:
              - { method: ae, seed: 1 }
              - { method: ae, seed: 7 }
            """;
        var sweep = SweepFileParser.Parse(yaml, File);

        Assert.Equal([0, 1, 7], sweep.Runs.Select(r => r.Config.Seed));
        Assert.Equal(2, sweep.DuplicateNotes.Count);
        Assert.Contains(sweep.DuplicateNotes, n => n.StartsWith("runs[0] (line 5) duplicates run ae.mnist.n480.s1."));
        Assert.Equal("runs[1] (line 6)", sweep.Runs[2].Source);
    }

    [Fact]
    public void FixedSettings_ApplyToExplicitRuns_WhichMayOverrideThem()
    {
        const string yaml = """
            settings:
              testSize: 500
              batchSize: 8
            runs:
              - { method: simulate, batchSize: 32 }
            """;
        var run = SweepFileParser.Parse(yaml, File).Runs.Single();
        Assert.Equal(500, run.Config.TestSize);
        Assert.Equal(32, run.Config.BatchSize);
        Assert.Equal(RunMethod.Simulate, run.Config.Method);
    }

    [Fact]
    public void Name_DefaultsToFileName_AndMustBeAFolderName()
    {
        Assert.Equal("my-sweep", SweepFileParser.Parse("grid:\n  seed: [0]\n", "dir/my-sweep.yaml").Name);
        Assert.Contains("name", Invalid("name: ../evil\ngrid:\n  seed: [0]\n").Message);
    }
}
