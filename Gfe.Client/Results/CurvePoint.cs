namespace Gfe.Client.Results;

/// <summary>One row of curves.csv: a train-loss point (<see cref="TrainLoss"/> set) or an evaluation point
/// (<see cref="TestLoss"/> filled), at a count of training images and the training seconds so far.</summary>
public sealed record CurvePoint(
    string Key,
    double ImagesSeen,
    double Seconds,
    double? TrainLoss,
    IReadOnlyDictionary<string, double> TestLoss);
