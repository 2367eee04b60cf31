using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// What a torch run works on, checked before any torch call: the training subset, the test images, the device, the
/// data's provenance and its feature count D (the model's output width).
/// Every bad request becomes a <see cref="RunFailedException"/> that names the setting, never a native abort.
/// </summary>
public sealed record RunInputs(ImageSet Train, ImageSet Test, Device Device, string Provenance)
{
    /// <summary>D, the features per sample of the data: the decoder's output width.</summary>
    public required int Features { get; init; }

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
        // BCE compares probabilities: values outside [0, 1] would train a meaningless loss (and can reach NaN).
        if (config.Loss == Models.LossKind.Bce)
            foreach (var (split, what) in new[] { (data.Train, "training"), (data.Test, "test") })
                if (Array.FindIndex(split.Pixels, v => v < 0 || v > 1) is var at and >= 0)
                    throw new RunFailedException(
                        $"'{data.Name}' {what} sample {at / split.FeatureCount}, feature {at % split.FeatureCount} is {split.Pixels[at]}, outside [0, 1], " +
                        "which loss bce needs: declare the dataset with normalize: minmax, or train with loss: mse");

        if (data.Train.Count == 0) throw new RunFailedException($"'{data.Name}' has no training images");

        // Every setting, in the one place the sweep parser checks them too; the model's output width comes from the data.
        int features = (int)(data.Train.Pixels.LongLength / data.Train.Count);
        if (RunChecks.Problem(config, features) is { } problem) throw new RunFailedException(problem.Message);

        // What needs the data itself.
        if (config.TrainSize > data.Train.Count)
            throw new RunFailedException(
                $"trainSize {config.TrainSize} exceeds the {data.Train.Count} training images of '{data.Name}'");
        if (config.TestSize > data.Test.Count)
            throw new RunFailedException($"testSize {config.TestSize} exceeds the {data.Test.Count} test images of '{data.Name}'");
        if (data.Test.Count == 0) throw new RunFailedException($"'{data.Name}' has no test images to evaluate on");
        int testCount = config.TestSize == 0 ? data.Test.Count : config.TestSize;
        if (config.Reconstructions < 0 || config.Reconstructions > testCount)
            throw new RunFailedException($"reconstructions must lie between 0 and the {testCount} test images, not {config.Reconstructions}");

        int trainSize = config.TrainSize == 0 ? data.Train.Count : config.TrainSize;
        var train = TrainingSubset.FirstOfShuffle(data.Train, trainSize, config.Seed);
        var test = config.TestSize == 0 ? data.Test : data.Test.Head(config.TestSize);
        return new RunInputs(train, test, ChooseDevice(), data.Provenance) { Features = features };
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
