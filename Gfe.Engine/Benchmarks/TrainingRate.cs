namespace Gfe.Engine.Benchmarks;

/// <summary>
/// One measured training run: training images per second, AMD trials per batch, and the time per trial (the whole
/// training time over the trials: it includes the decoder updates, so it bounds the solver's cost per trial from above).
/// <see cref="ImagesPerCpuSecond"/> divides by the process's CPU time instead of the wall time, from the end of the first
/// training batch to the end of the last (not the preparation, not the test): on a shared machine it shows what the run
/// would do with a core to itself, as long as caches are not fought over.
/// </summary>
/// <see cref="TestImagesPerSecond"/> is the timed test's encoding rate (its test images over its test seconds).
public sealed record TrainingRate(string Kernel, double ImagesPerSecond, double TrialsPerBatch, double MsPerTrial, double TestLoss,
    double ImagesPerCpuSecond, double TestImagesPerSecond = double.NaN);
