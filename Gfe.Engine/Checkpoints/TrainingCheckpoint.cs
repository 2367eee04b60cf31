using Gfe.Engine.Runs;

namespace Gfe.Engine.Checkpoints;

/// <summary>
/// Everything a run needs to continue training exactly where it stopped: the weights (decoder, and encoder for an
/// AE), the RMSprop square averages, the run's random generator, the data cursor and what was recorded so far. On CPU a
/// run resumed from it ends bit-identical to one that never stopped.
/// </summary>
public sealed record TrainingCheckpoint
{
    /// <summary>The run key the checkpoint belongs to.</summary>
    public required string RunKey { get; init; }

    /// <summary>The data the run trained on; a checkpoint of other data is not resumed.</summary>
    public required string DataProvenance { get; init; }

    /// <summary>Cursor: the epoch (from 0) and the batch within it that come next.</summary>
    public required int Epoch { get; init; }

    public required int Batch { get; init; }

    public required long ImagesSeen { get; init; }

    /// <summary>L/b of the last batch trained.</summary>
    public required double TrainLoss { get; init; }

    /// <summary>Seconds of training so far (evaluation and checkpoint time excluded).</summary>
    public required double Seconds { get; init; }

    public required IReadOnlyList<CurvePoint> Curve { get; init; }

    public required IReadOnlyList<EvalPoint> EvalCurve { get; init; }

    public required AmdStatistics TrainAmd { get; init; }

    /// <summary>The model's parameters in TorchSharp's module format.</summary>
    public required byte[] Weights { get; init; }

    /// <summary>The optimizer's state (RMSprop square averages and step counts) (<see cref="Training.RmsProp.SaveState"/>).</summary>
    public required byte[] OptimizerState { get; init; }

    /// <summary>The run generator's state (torch.Generator.get_state), which draws the latent starts.</summary>
    public required byte[] GeneratorState { get; init; }
}
