namespace Gfe.Engine.Runs;

/// <summary>
/// Everything one training run needs, as plain data. A run is determined by its config (including the seed): on CPU
/// the same config gives bit-identical results. Defaults are the reference's Table-1 settings (engine-spec §8).
/// </summary>
public sealed record RunConfig
{
    public RunMethod Method { get; init; } = RunMethod.GfeAmd;

    /// <summary>Dataset name: mnist or fashion-mnist (see <see cref="Data.DatasetCatalog"/>).</summary>
    public string Dataset { get; init; } = "mnist";

    /// <summary>N: train on the first N images of the seeded shuffle of the training split, one pass.</summary>
    public int TrainSize { get; init; } = 480;

    /// <summary>Evaluate on the first M test images; 0 means the whole test set.</summary>
    public int TestSize { get; init; } = 0;

    /// <summary>Seeds the subset shuffle, the weight initialisation and the latent starts.</summary>
    public int Seed { get; init; } = 0;

    /// <summary>Training batch size B (16 for Table 1 and Figure 1, engine-spec §4).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Batch size used when encoding test images with AMD (batch-coupled, so it matters).</summary>
    public int TestBatchSize { get; init; } = 16;

    public LatentInit Z0 { get; init; } = LatentInit.Uniform;

    public AmdOptions Amd { get; init; } = new();

    /// <summary>RMSprop learning rate (engine-spec §4).</summary>
    public double LearningRate { get; init; } = 5e-4;

    /// <summary>RMSprop smoothing constant alpha.</summary>
    public double RmsAlpha { get; init; } = 0.9;

    /// <summary>RMSprop epsilon, added outside the square root as torch.optim.RMSprop does.</summary>
    public double RmsEps { get; init; } = 1e-6;

    /// <summary>Record a point of the train-loss curve every this many batches.</summary>
    public int CurveEvery { get; init; } = 1;

    /// <summary>Approximate (z* constant, PARITY) or adjoint (exact, through the whole flow) decoder gradient.</summary>
    public GradientMode Gradient { get; init; } = GradientMode.Approximate;

    /// <summary>Grid, horizon and start of the fixed-grid flows (gfe-rk4, gfe-nesterov), and the adjoint's stepper.</summary>
    public FlowOptions Flow { get; init; } = new();

    /// <summary>For <see cref="RunMethod.Simulate"/>: how long the run sleeps.</summary>
    public double SimulateSeconds { get; init; } = 1.0;

    /// <summary>For <see cref="RunMethod.Simulate"/>: fail instead of finishing (tests the failure path).</summary>
    public bool SimulateFailure { get; init; }
}
