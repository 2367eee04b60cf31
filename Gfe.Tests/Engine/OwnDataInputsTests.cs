using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using Gfe.Engine.Training;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>What a run checks about data from files before any torch call: a width the decoder cannot produce and a
/// loss the engine does not train are clear failures, not native aborts; a sample shape survives the subset.</summary>
public sealed class OwnDataInputsTests
{
    static DatasetSplits Splits(int features, string? loss = "bce") => new("own",
        new ImageSet(new float[20 * features], new byte[20]) { SampleShape = [features] },
        new ImageSet(new float[5 * features], new byte[5]) { SampleShape = [features] }, "test data") { DefaultLoss = loss };

    [Fact]
    public void AFeatureCountTheDecoderCannotProduce_IsARunFailure()
    {
        var e = Assert.Throws<RunFailedException>(() => RunInputs.Prepare(new RunConfig { Dataset = "own", TrainSize = 8 }, Splits(10)));
        Assert.Contains("'own' has 10 features per sample; this engine's decoder outputs 784", e.Message);
    }

    [Fact]
    public void LossMse_IsRefused_UntilTheEngineTrainsIt()
    {
        var e = Assert.Throws<RunFailedException>(() => RunInputs.Prepare(new RunConfig { Dataset = "own", TrainSize = 8 }, Splits(784, "mse")));
        Assert.Contains("declared with loss mse", e.Message);
    }

    [Fact]
    public void SampleShape_IsKept_ThroughTheTrainingSubsetAndTheTestHead()
    {
        var data = Splits(784) with
        {
            Train = new ImageSet(new float[20 * 784], new byte[20]) { SampleShape = [2, 392] },
            Test = new ImageSet(new float[5 * 784], new byte[5]) { SampleShape = [2, 392] },
        };
        var inputs = RunInputs.Prepare(new RunConfig { Dataset = "own", TrainSize = 8, TestSize = 3 }, data);
        Assert.Equal([2, 392], inputs.Train.SampleShape);
        Assert.Equal(784, inputs.Test.FeatureCount);
        Assert.Equal(3 * 784, inputs.Test.Pixels.Length);
    }
}
