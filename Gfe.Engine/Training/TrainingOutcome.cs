using Gfe.Engine.Runs;

namespace Gfe.Engine.Training;

/// <summary>What one pass over the training subset produced.</summary>
public sealed record TrainingOutcome(IReadOnlyList<CurvePoint> Curve, double FinalTrainLoss, long ImagesSeen, double Seconds);
