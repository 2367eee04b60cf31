using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// What a torch run works on, checked before any torch call: the training subset, the test images, the device and
/// the data's provenance.
/// Every bad request becomes a <see cref="RunFailedException"/> that names the setting, never a native abort.
/// </summary>
public sealed record RunInputs(ImageSet Train, ImageSet Test, Device Device, string Provenance)
{
    public static RunInputs Prepare(RunConfig config, DatasetSplits? data)
    {
        string method = RunParameters.MethodName(config.Method);
        if (data is null)
            throw new RunFailedException($"method {method} needs the '{config.Dataset}' dataset, but no data was given");
        CheckShape(data.Train, $"{data.Name} training split");
        CheckShape(data.Test, $"{data.Name} test split");
        if (data.Test.FeatureCount != data.Train.FeatureCount)
            throw new RunFailedException(
                $"'{data.Name}': the test split has {data.Test.FeatureCount} features per sample, the training split {data.Train.FeatureCount}");
        // Until runs choose their loss (the model settings), the engine trains the paper's eps-BCE only.
        if (data.DefaultLoss is { } loss && loss != "bce")
            throw new RunFailedException($"'{data.Name}' is declared with loss {loss}; this engine trains loss bce (values in [0,1]) only");
        if (data.FeatureCount != Models.Decoder.ImageSize)
            throw new RunFailedException(
                $"'{data.Name}' has {data.FeatureCount} features per sample; this engine's decoder outputs {Models.Decoder.ImageSize}");

        if (config.BatchSize < 1) throw new RunFailedException($"batchSize must be at least 1, not {config.BatchSize}");
        if (config.TestBatchSize < 1) throw new RunFailedException($"testBatchSize must be at least 1, not {config.TestBatchSize}");
        if (config.CurveEvery < 1) throw new RunFailedException($"curveEvery must be at least 1, not {config.CurveEvery}");
        if (config.TrainSize < 0) throw new RunFailedException($"trainSize must be 0 (all) or positive, not {config.TrainSize}");
        if (data.Train.Count == 0) throw new RunFailedException($"'{data.Name}' has no training images");
        if (config.TrainSize > data.Train.Count)
            throw new RunFailedException(
                $"trainSize {config.TrainSize} exceeds the {data.Train.Count} training images of '{data.Name}'");
        if (config.TestSize < 0) throw new RunFailedException($"testSize must be 0 (all) or positive, not {config.TestSize}");
        if (config.TestSize > data.Test.Count)
            throw new RunFailedException($"testSize {config.TestSize} exceeds the {data.Test.Count} test images of '{data.Name}'");
        if (data.Test.Count == 0) throw new RunFailedException($"'{data.Name}' has no test images to evaluate on");
        if (!(config.LearningRate > 0) || !double.IsFinite(config.LearningRate))
            throw new RunFailedException($"lr must be a positive number, not {config.LearningRate}");
        if (!(config.RmsAlpha > 0 && config.RmsAlpha < 1)) throw new RunFailedException($"rmsAlpha must lie in (0, 1), not {config.RmsAlpha}");
        if (!(config.RmsEps > 0)) throw new RunFailedException($"rmsEps must be positive, not {config.RmsEps}");
        if (AmdSolver.Problem(config.Amd) is { } problem) throw new RunFailedException(problem);
        if (config.Epochs < 1) throw new RunFailedException($"epochs must be at least 1, not {config.Epochs}");
        if (config.EvalEvery < 0) throw new RunFailedException($"evalEvery must be 0 (off) or positive, not {config.EvalEvery}");
        if (config.EvalSize < 1) throw new RunFailedException($"evalSize must be at least 1, not {config.EvalSize}");
        if (config.CheckpointEvery < 0)
            throw new RunFailedException($"checkpointEvery must be 0 (off) or positive, not {config.CheckpointEvery}");
        int testCount = config.TestSize == 0 ? data.Test.Count : config.TestSize;
        if (config.Reconstructions < 0 || config.Reconstructions > testCount)
            throw new RunFailedException($"reconstructions must lie between 0 and the {testCount} test images, not {config.Reconstructions}");

        int trainSize = config.TrainSize == 0 ? data.Train.Count : config.TrainSize;
        var train = TrainingSubset.FirstOfShuffle(data.Train, trainSize, config.Seed);
        var test = config.TestSize == 0 ? data.Test : data.Test.Head(config.TestSize);
        return new RunInputs(train, test, ChooseDevice(), data.Provenance);
    }

    /// <summary>The first CUDA device when there is one, else the CPU; the code is the same on both.</summary>
    public static Device ChooseDevice() => torch.cuda.is_available() ? torch.CUDA : torch.CPU;

    /// <summary>cpu or cuda:N, as results name the device.</summary>
    public static string DeviceName(Device device) =>
        device.type == DeviceType.CUDA ? $"cuda:{Math.Max(0, device.index)}" : "cpu";

    static void CheckShape(ImageSet images, string what)
    {
        if (images.Pixels.LongLength != (long)images.Count * images.FeatureCount)
            throw new RunFailedException(
                $"{what} has {images.Pixels.LongLength} values for {images.Count} samples; expected {images.FeatureCount} per sample");
    }
}
