namespace Gfe.Abstractions;

/// <summary>The result of a completed run, as it travels to the client and is stored with the run's state.</summary>
[GenerateSerializer, Immutable]
public sealed record RunOutcome(
    [property: Id(0)] Dictionary<string, double> TestLoss,
    [property: Id(1)] double FinalTrainLoss,
    [property: Id(2)] long ImagesSeen,
    [property: Id(3)] int TestImages,
    [property: Id(4)] AmdSummary TrainAmd,
    [property: Id(5)] AmdSummary TestAmd,
    [property: Id(6)] double TrainSeconds,
    [property: Id(7)] double TestSeconds,
    [property: Id(8)] List<CurveSample> Curve,
    [property: Id(9)] string DataProvenance,
    [property: Id(10)] string Device,
    [property: Id(11)] List<EvalSample>? EvalCurve = null,
    [property: Id(12)] ReconstructionSample? Reconstructions = null,
    [property: Id(13)] string? AmdKernel = null,
    [property: Id(14)] string? Simd = null,
    [property: Id(15)] string? ModelDirectory = null,
    [property: Id(16)] string? AdjointKernel = null);
