namespace Gfe.Engine.Runs;

/// <summary>Work done by the AMD solver over all solves of a phase (training or testing).</summary>
public sealed record AmdStatistics(
    long Solves,
    long AcceptedSteps,
    long RejectedTrials,
    long ForcedAcceptances,
    long ConvergedSolves)
{
    public static AmdStatistics None { get; } = new(0, 0, 0, 0, 0);

    public double AcceptedPerSolve => Solves == 0 ? 0 : (double)AcceptedSteps / Solves;

    public double RejectedPerSolve => Solves == 0 ? 0 : (double)RejectedTrials / Solves;

    public AmdStatistics Add(AmdStatistics other) => new(
        Solves + other.Solves,
        AcceptedSteps + other.AcceptedSteps,
        RejectedTrials + other.RejectedTrials,
        ForcedAcceptances + other.ForcedAcceptances,
        ConvergedSolves + other.ConvergedSolves);
}
