namespace Gfe.Engine.Runs;

/// <summary>A progress report of a run: the phase (train, test), its fraction done, images seen, last train loss.</summary>
public sealed record RunProgress(string Phase, double Fraction, long ImagesSeen, double? TrainLoss);
