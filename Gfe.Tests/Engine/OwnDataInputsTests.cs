using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using Gfe.Engine.Training;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>What a run checks about data from files before any torch call: the data's width sets the decoder's output and a
/// loss that does not fit the values are clear failures, not native aborts; a sample shape survives the subset.</summary>
public sealed class OwnDataInputsTests
{
    static DatasetSplits Splits(int features, string? loss = "bce") => new("own",
        new ImageSet(new float[20 * features], new byte[20]) { SampleShape = [features] },
        new ImageSet(new float[5 * features], new byte[5]) { SampleShape = [features] }, "test data") { DefaultLoss = loss };

    [Fact]
    public void AnyFeatureCount_BecomesTheDecodersOutputWidth()
    {
        var inputs = RunInputs.Prepare(new RunConfig { Dataset = "own", TrainSize = 8, Loss = Gfe.Engine.Models.LossKind.Mse }, Splits(10, "mse"));
        Assert.Equal(10, inputs.Features);
        Assert.Equal(10, new RunConfig().Model(inputs.Features).OutputDim);
    }

    [Fact]
    public void LossBce_RefusesValuesOutsideZeroToOne_NamingSampleAndFeature()
    {
        var data = Splits(4);
        data.Test.Pixels[2 * 4 + 3] = 2.5f;
        var e = Assert.Throws<RunFailedException>(() => RunInputs.Prepare(new RunConfig { Dataset = "own", TrainSize = 8 }, data));
        Assert.Contains("'own' test sample 2, feature 3 is 2.5, outside [0, 1]", e.Message);
        Assert.Contains("loss: mse", e.Message);
        RunInputs.Prepare(new RunConfig { Dataset = "own", TrainSize = 8, Loss = Gfe.Engine.Models.LossKind.Mse }, data);   // mse takes any real value
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
