namespace Gfe.Engine.Benchmarks;

/// <summary>What <see cref="SolverBenchmark"/> measures and how long it takes.</summary>
public sealed record SolverBenchmarkSettings
{
    /// <summary>Batch sizes B to measure each solver at.</summary>
    public IReadOnlyList<int> BatchSizes { get; init; } = [5, 16, 256, 1000];

    /// <summary>Solver names to run (empty: all).</summary>
    public IReadOnlyList<string> Solvers { get; init; } = [];

    /// <summary>AMD horizon: shorter than a real run's 1e4 so the bench is short; the cost per step does not depend on it.</summary>
    public double Tau { get; init; } = 300;

    /// <summary>Training batches timed per measurement (each: encode, forward, full backward, RMSprop step).</summary>
    public int TrainBatches { get; init; } = 3;

    /// <summary>Test images encoded per measurement (rounded up to whole batches).</summary>
    public int TestImages { get; init; } = 1000;

    /// <summary>Measurements per (solver, B); the table shows their medians.</summary>
    public int Repeats { get; init; } = 3;

    /// <summary>Torch intra-op threads (runs use 1 each, side by side).</summary>
    public int Threads { get; init; } = 1;

    public int Seed { get; init; } = 1;

    /// <summary>How long the machine's large-matmul rate is measured, before each measurement.</summary>
    public double MatmulSeconds { get; init; } = 0.5;

    /// <summary>A run that finishes in well under a minute on two cores: small tau, one batch of each kind, no repeats.</summary>
    public static SolverBenchmarkSettings Quick { get; } = new() { Tau = 30, TrainBatches = 1, TestImages = 16, Repeats = 1, MatmulSeconds = 0.1 };
}
