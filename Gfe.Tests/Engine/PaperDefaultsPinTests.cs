using Gfe.Engine.Runs;
using Xunit;
using Xunit.Abstractions;

namespace Gfe.Tests.Engine;

/// <summary>
/// The paper's model, left at its defaults, gives the same numbers as before the model settings existed: these test
/// losses were computed with the engine of commit 1d35fcd (the paper's fixed 20-150-300-600-784 decoder, before
/// latentDim, hidden, activation and loss were settings) on the same synthetic data. Uses only API that engine had.
/// The AMD kernel is named (torch): its default became auto (native on a CPU), which rounds differently and therefore
/// gives new keys (docs/engine.md); with the kernel named, old keys and numbers still hold.
/// </summary>
public sealed class PaperDefaultsPinTests(ITestOutputHelper output)
{
    static readonly Gfe.Engine.Data.DatasetSplits Data = SyntheticImages.Splits(trainCount: 24, testCount: 5);

    static RunConfig Config(RunMethod method) => new()
    {
        Method = method,
        Dataset = "synthetic",
        TrainSize = 16,
        BatchSize = 8,
        TestBatchSize = 3,
        Seed = 4,
        Amd = new AmdOptions { Tau = 200, Kernel = AmdKernel.Torch },
    };

    [Fact]
    public void A_paper_default_gfe_amd_run_keeps_its_test_loss_bit_for_bit()
    {
        var result = Run(RunMethod.GfeAmd);

        Assert.Equal(0.506213802099228, result[Evaluations.GfeAmd]);
    }

    [Fact]
    public void A_paper_default_ae_run_keeps_its_test_losses_bit_for_bit()
    {
        var result = Run(RunMethod.Ae);

        Assert.Equal(0.6271124839782715, result[Evaluations.Ae]);
        Assert.Equal(0.6089709877967835, result[Evaluations.Mixed]);
    }

    [Fact]
    public void The_default_run_on_the_torch_kernel_keeps_its_key()
    {
        Assert.Equal("gfe-amd.mnist.n480.s0.2e5f812e1d", RunKey.For(new RunConfig { Amd = new AmdOptions { Kernel = AmdKernel.Torch } }));
    }

    IReadOnlyDictionary<string, double> Run(RunMethod method)
    {
        var result = RunExecutor.Execute(Config(method), Data, null, CancellationToken.None);
        output.WriteLine($"{method}: {string.Join(", ", result.TestLoss.Select(kv => $"{kv.Key}={kv.Value:R}"))}");
        return result.TestLoss;
    }
}
