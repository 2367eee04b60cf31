using Gfe.Engine.Checkpoints;
using Gfe.Engine.Data;
using Gfe.Engine.Training;

namespace Gfe.Engine.Runs;

/// <summary>
/// Runs one configuration to the end, synchronously, on the calling thread. Torch state (grad mode, dispose scopes)
/// is per OS thread, so callers give each run a dedicated thread and never await inside it.
/// </summary>
public static class RunExecutor
{
    /// <summary>
    /// Trains and tests one configuration. With a checkpoint store it saves a checkpoint every checkpointEvery batches
    /// under the run key and resumes from the run's latest checkpoint there if it has one; on CPU the result is
    /// bit-identical either way. <paramref name="stopAtImages"/> (early stopping: the run's next rung) ends the run
    /// there with a checkpoint to continue from.
    /// </summary>
    public static RunResult Execute(
        RunConfig config, DatasetSplits? data, IProgress<RunProgress>? progress, CancellationToken cancel,
        ICheckpointStore? checkpoints = null, long? stopAtImages = null)
    {
        var result = config.Method switch
        {
            RunMethod.Simulate => Simulation.Run(config, progress, cancel, checkpoints, stopAtImages),
            RunMethod.GfeAmd or RunMethod.Ae or RunMethod.GfeRk4 or RunMethod.GfeNesterov =>
                TorchRun.Execute(config, data, progress, cancel, checkpoints, stopAtImages),
            _ => throw new RunFailedException($"unknown run method {config.Method}"),
        };
        // The kernel that ran, resolved by the same rule the run's AmdSolver used (amd.kernel auto depends on the machine).
        var (kernel, simd) = AmdKernels.Ran(config);
        return result with { AmdKernel = kernel, Simd = simd, AdjointKernel = AmdKernels.AdjointRan(config) };
    }
}
