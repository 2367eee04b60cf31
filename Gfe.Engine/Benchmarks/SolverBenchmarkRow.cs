namespace Gfe.Engine.Benchmarks;

/// <summary>
/// The medians of one (solver, batch size) measurement. FLOP counting: a decoder forward costs
/// <see cref="SolverBenchmark.FlopsPerRow"/> per image (2 x the 698,400 multiply-adds of the four layers), and so does
/// a backward to the input; activations, losses and the Euler update are not counted.
/// </summary>
/// <param name="Solver">Solver name.</param>
/// <param name="BatchSize">B.</param>
/// <param name="MsPerStep">Wall time of one latent step (AMD: one trial round) during test encoding, in ms.</param>
/// <param name="StepsPerBatch">Latent steps per encoded batch.</param>
/// <param name="RowsPerStep">Image rows through the decoder (forward + backward) per step, per image of the batch.</param>
/// <param name="TrainImagesPerSecond">Training throughput: encode, forward, full backward, RMSprop step.</param>
/// <param name="TestImagesPerSecond">Test-encoding throughput: encode and reconstruct.</param>
/// <param name="Gflops">Achieved GFLOP/s of the latent solves during test encoding.</param>
/// <param name="MachineGflops">The same machine's rate on a large matmul, measured right before (median).</param>
/// <param name="PeakMegabytes">Process peak resident memory (VmHWM) after this measurement; it only grows.</param>
public sealed record SolverBenchmarkRow(
    string Solver,
    int BatchSize,
    double MsPerStep,
    double StepsPerBatch,
    double RowsPerStep,
    double TrainImagesPerSecond,
    double TestImagesPerSecond,
    double Gflops,
    double MachineGflops,
    double PeakMegabytes)
{
    /// <summary>Achieved GFLOP/s as a fraction of the large-matmul rate measured just before.</summary>
    public double MatmulFraction => MachineGflops > 0 ? Gflops / MachineGflops : double.NaN;
}
