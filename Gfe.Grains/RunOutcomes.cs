using Gfe.Abstractions;
using Gfe.Engine.Runs;

namespace Gfe.Grains;

/// <summary>Turns the engine's <see cref="RunResult"/> into the serializable <see cref="RunOutcome"/> that is stored
/// with the run and sent to clients.</summary>
public static class RunOutcomes
{
    public static RunOutcome From(RunResult result) => new(
        TestLoss: new Dictionary<string, double>(result.TestLoss),
        FinalTrainLoss: result.FinalTrainLoss,
        ImagesSeen: result.ImagesSeen,
        TestImages: result.TestImages,
        TrainAmd: Summary(result.TrainAmd),
        TestAmd: Summary(result.TestAmd),
        TrainSeconds: result.TrainSeconds,
        TestSeconds: result.TestSeconds,
        Curve: result.Curve.Select(p => new CurveSample(p.ImagesSeen, p.Seconds, p.TrainLoss)).ToList(),
        DataProvenance: result.DataProvenance,
        Device: result.Device,
        EvalCurve: result.EvalCurve.Select(p => new EvalSample(p.ImagesSeen, p.Seconds, new Dictionary<string, double>(p.TestLoss))).ToList(),
        Reconstructions: result.Reconstructions is { } shown
            ? new ReconstructionSample(shown.Originals, new Dictionary<string, float[]>(shown.Reconstructed), shown.SampleShape)
            : null,
        AmdKernel: result.AmdKernel,
        Simd: result.Simd,
        AdjointKernel: result.AdjointKernel,
        ModelDirectory: result.ModelDirectory);

    static AmdSummary Summary(AmdStatistics amd) =>
        new(amd.Solves, amd.AcceptedSteps, amd.RejectedTrials, amd.ForcedAcceptances, amd.ConvergedSolves);
}
