namespace Gfe.Engine.Runs;

/// <summary>One point of a loss curve: the train loss (L/B of the batch) after so many images, at so many seconds.</summary>
public sealed record CurvePoint(long ImagesSeen, double Seconds, double TrainLoss);
