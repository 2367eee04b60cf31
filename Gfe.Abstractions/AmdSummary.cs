namespace Gfe.Abstractions;

/// <summary>Work done by the AMD solver in one phase of a run: solves, accepted steps, rejected trials, forced steps.</summary>
[GenerateSerializer, Immutable]
public sealed record AmdSummary(
    [property: Id(0)] long Solves,
    [property: Id(1)] long AcceptedSteps,
    [property: Id(2)] long RejectedTrials,
    [property: Id(3)] long ForcedAcceptances,
    [property: Id(4)] long ConvergedSolves)
{
    public double AcceptedPerSolve => Solves == 0 ? 0 : (double)AcceptedSteps / Solves;

    public double RejectedPerSolve => Solves == 0 ? 0 : (double)RejectedTrials / Solves;
}
