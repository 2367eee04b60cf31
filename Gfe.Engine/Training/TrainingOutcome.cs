using Gfe.Engine.Runs;

namespace Gfe.Engine.Training;

/// <summary>What the training of a run produced.</summary>
public sealed record TrainingOutcome(IReadOnlyList<CurvePoint> Curve, double FinalTrainLoss, long ImagesSeen, double Seconds)
{
    /// <summary>The test loss during training; empty without evalEvery.</summary>
    public IReadOnlyList<EvalPoint> EvalCurve { get; init; } = [];

    /// <summary>Stopped at <see cref="TrainingExtras.StopAtImages"/> before the end of training.</summary>
    public bool StoppedEarly { get; init; }
}
