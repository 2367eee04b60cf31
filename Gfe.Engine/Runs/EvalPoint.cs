namespace Gfe.Engine.Runs;

/// <summary>
/// One point of an evaluation curve (Figure 2): the test loss of the model as it stood after so many training images,
/// at so many seconds of training (evaluation and checkpoint time excluded), by evaluation name
/// (<see cref="Evaluations"/>).
/// </summary>
public sealed record EvalPoint(long ImagesSeen, double Seconds, IReadOnlyDictionary<string, double> TestLoss);
