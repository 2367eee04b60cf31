using Gfe.Engine.Models;

namespace Gfe.Engine.Runs;

/// <summary>
/// Everything one training run needs, as plain data. A run is determined by its config (including the seed): on CPU
/// the same config gives bit-identical results. Defaults are the reference's Table-1 settings (docs/method.md §8).
/// </summary>
public sealed record RunConfig
{
    public RunMethod Method { get; init; } = RunMethod.GfeAmd;

    /// <summary>Dataset name: mnist, fashion-mnist or segmnist (see <see cref="Data.DatasetCatalog"/>).</summary>
    public string Dataset { get; init; } = "mnist";

    /// <summary>N: train on the first N images of the seeded shuffle of the training split; 0 = the whole training
    /// split.</summary>
    public int TrainSize { get; init; } = 480;

    /// <summary>Evaluate on the first M test images; 0 means the whole test set.</summary>
    public int TestSize { get; init; } = 0;

    /// <summary>Seeds the subset shuffle, the weight initialisation and the latent starts.</summary>
    public int Seed { get; init; } = 0;

    /// <summary>Training batch size B (16 for Table 1 and Figure 1, docs/method.md §4).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Batch size used when encoding test images with AMD (batch-coupled, so it matters).</summary>
    public int TestBatchSize { get; init; } = 16;

    public LatentInit Z0 { get; init; } = LatentInit.Uniform;

    /// <summary>AMD settings; the kernel defaults to auto here (native on CPU, torch on GPU), while a bare
    /// <see cref="AmdOptions"/> keeps the torch path (docs/engine.md, "AMD trial kernel").</summary>
    public AmdOptions Amd { get; init; } = new() { Kernel = AmdKernel.Auto };

    /// <summary>RMSprop learning rate (docs/method.md §4).</summary>
    public double LearningRate { get; init; } = 5e-4;

    /// <summary>RMSprop smoothing constant alpha.</summary>
    public double RmsAlpha { get; init; } = 0.9;

    /// <summary>RMSprop epsilon, added outside the square root as torch.optim.RMSprop does.</summary>
    public double RmsEps { get; init; } = 1e-6;

    /// <summary>Record a point of the train-loss curve every this many batches.</summary>
    public int CurveEvery { get; init; } = 1;

    /// <summary>Passes over the training subset, each in a fresh seeded order (docs/method.md §4): 1 for GFE, 12 for a
    /// complete AE.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Evaluate the model on the first <see cref="EvalSize"/> test images every this many training images;
    /// 0 = no evaluation curve.</summary>
    public int EvalEvery { get; init; } = 0;

    /// <summary>How many test images (the first ones of the run's test images) each curve evaluation uses.</summary>
    public int EvalSize { get; init; } = 1000;

    /// <summary>Return the reconstructions of the first K test images (Figure 3); 0 = none.</summary>
    public int Reconstructions { get; init; } = 0;

    /// <summary>Save a checkpoint every this many batches when a checkpoint store is given; 0 = never.</summary>
    public int CheckpointEvery { get; init; } = 0;

    /// <summary>Approximate (z* constant, PARITY) or adjoint (exact, through the whole flow) decoder gradient.</summary>
    public GradientMode Gradient { get; init; } = GradientMode.Approximate;

    /// <summary>Grid, horizon and start of the fixed-grid flows (gfe-rk4, gfe-nesterov), and the adjoint's stepper.</summary>
    public FlowOptions Flow { get; init; } = new();

    /// <summary>For <see cref="RunMethod.Simulate"/>: how long the run sleeps.</summary>
    public double SimulateSeconds { get; init; } = 1.0;

    /// <summary>For <see cref="RunMethod.Simulate"/>: fail instead of finishing (tests the failure path).</summary>
    public bool SimulateFailure { get; init; }

    /// <summary>Whether the run needs a GPU silo (<see cref="RunDevice.Gpu"/>) or runs on any silo. Left at its
    /// default it is not part of the run key (<see cref="RunKey"/>).</summary>
    public RunDevice RunsOn { get; init; } = RunDevice.Any;

    // The model (ModelShape); the output width is the data's feature count, so it is not a setting. Defaults: the
    // paper's 20-150-300-600 decoder with ELU and eps-BCE. Checked by ModelSettings.

    /// <summary>Width of the latent code z.</summary>
    public int LatentDim { get; init; } = ModelShape.Paper.LatentDim;

    /// <summary>The decoder's hidden widths from latent to output; the AE's encoder mirrors them. Held as a
    /// <see cref="ValueList{T}"/>, so that configs with the same widths are equal.</summary>
    public IReadOnlyList<int> Hidden { get => hidden; init => hidden = new ValueList<int>(value); }

    readonly ValueList<int> hidden = new(ModelShape.Paper.Hidden);

    /// <summary>The nonlinearity between layers.</summary>
    public Activation Activation { get; init; } = ModelShape.Paper.Activation;

    /// <summary>The reconstruction loss the run trains, encodes and evaluates with.</summary>
    public LossKind Loss { get; init; } = ModelShape.Paper.Loss;

    /// <summary>The run's model for data of <paramref name="outputDim"/> features.</summary>
    public ModelShape Model(int outputDim) => new(LatentDim, Hidden, outputDim, Activation, Loss);

    /// <summary>Also keep the latent codes of the run's test samples, with their per-sample loss and labels, beside
    /// the trained model (<see cref="Artifacts.LatentExport"/>). Left at false it is not part of the run key.</summary>
    public bool Latents { get; init; }
}
