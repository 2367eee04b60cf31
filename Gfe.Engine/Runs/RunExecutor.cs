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
    public static RunResult Execute(RunConfig config, DatasetSplits? data, IProgress<RunProgress>? progress, CancellationToken cancel)
    {
        return config.Method switch
        {
            RunMethod.Simulate => Simulation.Run(config, progress, cancel),
            RunMethod.GfeAmd => GfeAmdRun.Execute(config, data, progress, cancel),
            RunMethod.Ae => AutoencoderRun.Execute(config, data, progress, cancel),
            _ => throw new RunFailedException($"unknown run method {config.Method}"),
        };
    }

    /// <summary>
    /// As <see cref="Execute(RunConfig, DatasetSplits?, IProgress{RunProgress}?, CancellationToken)"/>, saving a
    /// checkpoint every checkpointEvery batches into <paramref name="checkpoints"/> under the run key, and resuming
    /// from the run's latest checkpoint there if it has one. On CPU the result is bit-identical either way.
    /// </summary>
    public static RunResult Execute(
        RunConfig config, DatasetSplits? data, IProgress<RunProgress>? progress, CancellationToken cancel,
        ICheckpointStore? checkpoints)
    {
        return config.Method switch
        {
            RunMethod.GfeAmd => GfeAmdRun.Execute(config, data, progress, cancel, checkpoints),
            RunMethod.Ae => AutoencoderRun.Execute(config, data, progress, cancel, checkpoints),
            RunMethod.Simulate => Simulation.Run(config, progress, cancel, checkpoints),
            _ => Execute(config, data, progress, cancel),
        };
    }
}
