namespace Gfe.Engine.Runs;

/// <summary>What a finished run produced.</summary>
public sealed record RunResult
{
    /// <summary>Per-image mean test loss (docs/method.md §2) by evaluation name (<see cref="Evaluations"/>).</summary>
    public required IReadOnlyDictionary<string, double> TestLoss { get; init; }

    /// <summary>Train loss L/B of the last batch.</summary>
    public required double FinalTrainLoss { get; init; }

    public required long ImagesSeen { get; init; }

    public required int TestImages { get; init; }

    public required AmdStatistics TrainAmd { get; init; }

    public required AmdStatistics TestAmd { get; init; }

    public required double TrainSeconds { get; init; }

    public required double TestSeconds { get; init; }

    /// <summary>Train loss against images seen and wall time of training (evaluation and checkpoint time excluded).</summary>
    public required IReadOnlyList<CurvePoint> Curve { get; init; }

    /// <summary>Where the dataset came from (source and checksum), from its manifest.</summary>
    public required string DataProvenance { get; init; }

    /// <summary>cpu or cuda:N.</summary>
    public required string Device { get; init; }

    /// <summary>The test loss during training, every evalEvery images; empty when evalEvery is 0.</summary>
    public IReadOnlyList<EvalPoint> EvalCurve { get; init; } = [];

    /// <summary>The AMD kernel that ran (torch or native, amd.kernel's auto resolved); empty for methods without AMD.</summary>
    public string AmdKernel { get; init; } = "";

    /// <summary>The native kernel's SIMD path (avx512, avx2, neon, vector128, scalar); empty on the torch path.</summary>
    public string Simd { get; init; } = "";

    /// <summary>The kernel of the exact adjoint's R-passes (torch or native); empty for runs without the adjoint.</summary>
    public string AdjointKernel { get; init; } = "";

    /// <summary>Reconstructions of the first test images when the run asked for them, else null.</summary>
    public TestReconstructions? Reconstructions { get; init; }

    /// <summary>The trained weights (decoder, and the AE's encoder), kept as an artifact
    /// (<see cref="Artifacts.ModelArtifact"/>); null for a simulated run.</summary>
    public Artifacts.TrainedModel? Model { get; init; }

    /// <summary>Where the silo saved <see cref="Model"/> (a folder named by the run key), or null if it was not saved.</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>True when the run stopped at a rung (<c>stopAtImages</c>) before the end of training: its losses and
    /// curves are those at <see cref="ImagesSeen"/>, and its checkpoint stays for a later continuation.</summary>
    public bool StoppedEarly { get; init; }
}
