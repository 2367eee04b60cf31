namespace Gfe.Engine.Benchmarks;

/// <summary>
/// One measured training run: training images per second, AMD trials per batch, and the time per trial (the whole
/// training time over the trials: it includes the decoder updates, so it bounds the solver's cost per trial from above).
/// </summary>
public sealed record TrainingRate(string Kernel, double ImagesPerSecond, double TrialsPerBatch, double MsPerTrial, double TestLoss);
