using Gfe.Engine.Checkpoints;
using Gfe.Engine.Runs;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// What a run adds to the bare <see cref="TrainingLoop"/>: the evaluation curve and checkpoints. A checkpoint must
/// capture every piece of state the batch loss touches, so the run hands over its generator and its AMD tally.
/// </summary>
public sealed record TrainingExtras
{
    public static TrainingExtras None { get; } = new();

    /// <summary>What every run hands its training loop: its evaluation, checkpoint store, key, data provenance,
    /// generator, and the tally its batch loss adds AMD work to (a fresh one when it does no AMD).</summary>
    public static TrainingExtras ForRun(
        RunConfig config, RunInputs inputs, Generator generator, ICheckpointStore? checkpoints,
        Func<IReadOnlyDictionary<string, double>> evaluate, AmdTally? trainAmd = null, long? stopAtImages = null) => new()
    {
        StopAtImages = stopAtImages,
        Evaluate = evaluate,
        Checkpoints = checkpoints,
        RunKey = Runs.RunKey.For(config),
        DataProvenance = inputs.Provenance,
        Generator = generator,
        TrainAmd = trainAmd ?? new AmdTally(),
    };

    /// <summary>The test loss of the model as it stands, by evaluation name; called every evalEvery images. It must
    /// not advance <see cref="Generator"/>, so that training is the same with and without a curve.</summary>
    public Func<IReadOnlyDictionary<string, double>>? Evaluate { get; init; }

    /// <summary>Where checkpoints go; null = none.</summary>
    public ICheckpointStore? Checkpoints { get; init; }

    public string RunKey { get; init; } = "";

    public string DataProvenance { get; init; } = "";

    /// <summary>The run's generator, which the batch loss draws latent starts from.</summary>
    public Generator? Generator { get; init; }

    /// <summary>The AMD work of training, which the batch loss adds to.</summary>
    public AmdTally? TrainAmd { get; init; }

    /// <summary>Early stopping: training stops after the batch that reaches this many images (a rung), with a
    /// checkpoint there whatever checkpointEvery says; and with any value the loop resumes from the run's checkpoint,
    /// so that a promoted run continues. Null: neither.</summary>
    public long? StopAtImages { get; init; }
}
