using Gfe.Engine.Checkpoints;
using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using Gfe.Tests.Data;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>Early stopping in a torch run: a run stopped at a rung ends with the evaluation there and a checkpoint
/// (checkpointEvery 0 notwithstanding), and a promotion continues it to the same end as a run that never stopped.</summary>
public sealed class StopAtRungTests : IDisposable
{
    static readonly DatasetSplits Data = SyntheticImages.Splits(trainCount: 40, testCount: 6);

    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>3 batches of 8 per epoch, 2 epochs (48 images); evaluation every 16 images; no periodic checkpoints.</summary>
    static RunConfig Config(RunMethod method) => new()
    {
        Method = method,
        Dataset = "synthetic",
        TrainSize = 24,
        BatchSize = 8,
        TestBatchSize = 3,
        EvalSize = 6,
        Epochs = 2,
        Seed = 4,
        LearningRate = 2e-3,
        EvalEvery = 16,
        Amd = new AmdOptions { Tau = 200 },
    };

    [Theory]
    [InlineData(RunMethod.Ae)]
    [InlineData(RunMethod.GfeAmd)]
    public void A_run_stopped_at_a_rung_and_promoted_ends_bit_identical_to_one_that_never_stopped(RunMethod method)
    {
        var config = Config(method);
        var straight = RunExecutor.Execute(config, Data, null, CancellationToken.None);
        var store = new DirectoryCheckpointStore(temp.Path);

        var stopped = RunExecutor.Execute(config, Data, null, CancellationToken.None, store, stopAtImages: 16);
        var checkpoint = store.Latest(RunKey.For(config));
        var progress = new SynchronousProgress([]);
        var continued = RunExecutor.Execute(config, Data, progress, CancellationToken.None, store, stopAtImages: 48);

        Assert.True(stopped.StoppedEarly);
        Assert.Equal(16, stopped.ImagesSeen);
        Assert.Equal(16, checkpoint?.ImagesSeen);
        // Its test loss is the evaluation at the rung, the same as the uninterrupted run's curve there.
        var atRung = straight.EvalCurve.Single(p => p.ImagesSeen == 16);
        Assert.Equal(atRung.TestLoss, stopped.TestLoss);
        Assert.Equal([0L, 16L], stopped.EvalCurve.Select(p => p.ImagesSeen));
        // The promotion continued after batch 2 (16 images) instead of starting over, and ended where the
        // uninterrupted run did, bit for bit.
        Assert.Equal(24, progress.Reports[0].ImagesSeen);
        Assert.False(continued.StoppedEarly);
        Assert.Equal(straight.TestLoss, continued.TestLoss);
        Assert.Equal(straight.FinalTrainLoss, continued.FinalTrainLoss);
        Assert.Equal(straight.EvalCurve.Select(p => (p.ImagesSeen, p.TestLoss.Values.Sum())), continued.EvalCurve.Select(p => (p.ImagesSeen, p.TestLoss.Values.Sum())));
    }
}
