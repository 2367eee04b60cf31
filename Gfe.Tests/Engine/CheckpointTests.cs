using Gfe.Engine.Checkpoints;
using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using Gfe.Tests.Data;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>Checkpoints: a run stopped mid-way and resumed ends bit-identical to one that never stopped (CPU).</summary>
public sealed class CheckpointTests : IDisposable
{
    static readonly DatasetSplits Data = SyntheticImages.Splits(trainCount: 40, testCount: 6);

    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>3 batches per epoch, 2 epochs; checkpoints after batches 2 and 4; evaluation every 16 images.</summary>
    static RunConfig Config(RunMethod method) => new()
    {
        Method = method,
        Dataset = "synthetic",
        TrainSize = 24,
        BatchSize = 8,
        TestBatchSize = 3,
        Epochs = 2,
        Seed = 6,
        LearningRate = 2e-3,
        EvalEvery = 16,
        CheckpointEvery = 2,
        Reconstructions = 2,
        Amd = new AmdOptions { Tau = 200 },
        Flow = new FlowOptions { Points = 11, Tau = 200 },
    };

    [Theory]
    [InlineData(RunMethod.GfeAmd, false)]
    [InlineData(RunMethod.Ae, false)]
    [InlineData(RunMethod.GfeRk4, false)]
    [InlineData(RunMethod.GfeNesterov, false)]
    [InlineData(RunMethod.GfeAmd, true)]   // a model other than the paper's: latent 8, hidden [64, 32], tanh, MSE
    [InlineData(RunMethod.Ae, true)]
    [InlineData(RunMethod.GfeRk4, true)]
    public void RunResumedFromAMidwayCheckpoint_EndsBitIdentical(RunMethod method, bool customModel)
    {
        var config = Config(method);
        if (customModel)
            config = config with { LatentDim = 8, Hidden = [64, 32], Activation = Gfe.Engine.Models.Activation.Tanh, Loss = Gfe.Engine.Models.LossKind.Mse };
        // The flows run on the native kernel here (flow.kernel auto on a CPU), as AMD does (amd.kernel auto).
        Assert.Equal(AmdKernel.Auto, config.Flow.Kernel);
        string key = RunKey.For(config);
        var straightStore = new DirectoryCheckpointStore(Path.Combine(temp.Path, "straight"));
        var straight = RunExecutor.Execute(config, Data, null, CancellationToken.None, straightStore);

        // Stopped after batch 3 (of epoch 0, past the checkpoint of batch 2), then run again with the same store.
        var store = new DirectoryCheckpointStore(Path.Combine(temp.Path, "resumed"));
        using (var cancel = new CancellationTokenSource())
        {
            var stopping = new SynchronousProgress([], p => { if (p.Phase == "train" && p.Fraction >= 3.0 / 6) cancel.Cancel(); });
            Assert.ThrowsAny<OperationCanceledException>(() => RunExecutor.Execute(config, Data, stopping, cancel.Token, store));
        }
        var interrupted = store.Latest(key)!;
        Assert.Equal((0, 2, 16L), (interrupted.Epoch, interrupted.Batch, interrupted.ImagesSeen));
        var progress = new SynchronousProgress([]);
        var resumed = RunExecutor.Execute(config, Data, progress, CancellationToken.None, store);

        if (method is RunMethod.GfeRk4 or RunMethod.GfeNesterov)
            Assert.Equal(AmdKernels.Resolve(AmdKernel.Auto) == AmdKernel.Native ? "native" : "torch", resumed.AmdKernel);
        // It continued from batch 2 (the third of six) rather than starting over.
        Assert.Equal(3.0 / 6, progress.Reports[0].Fraction);
        Assert.Equal(straight.TestLoss, resumed.TestLoss);
        Assert.Equal(straight.FinalTrainLoss, resumed.FinalTrainLoss);
        Assert.Equal(straight.ImagesSeen, resumed.ImagesSeen);
        Assert.Equal(straight.TrainAmd, resumed.TrainAmd);
        Assert.Equal(straight.TestAmd, resumed.TestAmd);
        Assert.Equal(straight.Curve.Select(p => (p.ImagesSeen, p.TrainLoss)), resumed.Curve.Select(p => (p.ImagesSeen, p.TrainLoss)));
        Assert.Equal(straight.EvalCurve.Select(p => (p.ImagesSeen, p.TestLoss.OrderBy(kv => kv.Key).ToList())),
            resumed.EvalCurve.Select(p => (p.ImagesSeen, p.TestLoss.OrderBy(kv => kv.Key).ToList())));
        Assert.Equal(straight.Reconstructions!.Reconstructed, resumed.Reconstructions!.Reconstructed);
        // The last checkpoint of both (after batch 4, across the epoch boundary) holds the same weights and RMSprop state.
        var last = (Straight: straightStore.Latest(key)!, Resumed: store.Latest(key)!);
        Assert.Equal((1, 1), (last.Straight.Epoch, last.Straight.Batch));
        Assert.Equal(last.Straight.Weights, last.Resumed.Weights);
        Assert.Equal(last.Straight.OptimizerState, last.Resumed.OptimizerState);
        Assert.Equal(last.Straight.GeneratorState, last.Resumed.GeneratorState);
        Assert.NotEqual(interrupted.Weights, last.Resumed.Weights);
        Assert.Empty(Directory.GetFiles(store.Directory, "*.tmp"));
    }

    [Fact]
    public void CheckpointOfOtherData_IsNotResumed()
    {
        var config = Config(RunMethod.Ae) with { EvalEvery = 0, Reconstructions = 0 };
        var store = new DirectoryCheckpointStore(temp.Path);
        var first = RunExecutor.Execute(config, Data, null, CancellationToken.None, store);
        store.Save(store.Latest(RunKey.For(config))! with { DataProvenance = "other files" });

        var progress = new SynchronousProgress([]);
        var again = RunExecutor.Execute(config, Data, progress, CancellationToken.None, store);

        Assert.Equal(1.0 / 6, progress.Reports[0].Fraction);
        Assert.Equal(first.TestLoss, again.TestLoss);
    }

    [Fact]
    public void DirectoryStore_RoundTripsACheckpoint_AndForgetsIt()
    {
        var store = new DirectoryCheckpointStore(temp.Path);
        Assert.Null(store.Latest("gfe-amd.mnist.n480.s0.abc"));
        var checkpoint = new TrainingCheckpoint
        {
            RunKey = "gfe-amd.mnist.n480.s0.abc", DataProvenance = "mnist", Epoch = 1, Batch = 2, ImagesSeen = 40,
            TrainLoss = 0.1 + 0.2, Seconds = double.Epsilon,
            Curve = [new CurvePoint(8, 0.5, double.NaN)],
            EvalCurve = [new EvalPoint(0, 0, new Dictionary<string, double> { [Evaluations.Ae] = 1.0 / 3 })],
            TrainAmd = new AmdStatistics(1, 2, 3, 4, 5),
            Weights = [1, 2, 3], OptimizerState = [4], GeneratorState = [5, 6],
        };

        store.Save(checkpoint);
        var read = store.Latest(checkpoint.RunKey)!;

        Assert.Equal(checkpoint.TrainLoss, read.TrainLoss);
        Assert.Equal(checkpoint.Seconds, read.Seconds);
        Assert.True(double.IsNaN(read.Curve[0].TrainLoss));
        Assert.Equal(1.0 / 3, read.EvalCurve[0].TestLoss[Evaluations.Ae]);
        Assert.Equal(checkpoint.TrainAmd, read.TrainAmd);
        Assert.Equal(checkpoint.Weights, read.Weights);
        Assert.Equal(checkpoint.OptimizerState, read.OptimizerState);
        Assert.Equal(checkpoint.GeneratorState, read.GeneratorState);
        Assert.Single(Directory.GetFiles(temp.Path));
        store.Remove(checkpoint.RunKey);
        Assert.Null(store.Latest(checkpoint.RunKey));
        Assert.Throws<ArgumentException>(() => store.PathOf("../escape"));
    }
}
