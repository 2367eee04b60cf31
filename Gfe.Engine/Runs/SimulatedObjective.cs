namespace Gfe.Engine.Runs;

/// <summary>
/// The test-loss curve of a <see cref="RunMethod.Simulate"/> run: a cheap, known function of the run's settings, so
/// that searches and early stopping can be checked against a known optimum without torch.
/// <para>
/// The final loss is <c>Floor + Penalty * d(config) + 1/sqrt(trainSize) + noise</c>, where
/// <c>d = log10(lr/1e-3)^2 + 0.25 log2(batchSize/32)^2 + 10 (rmsAlpha - 0.95)^2</c> is zero at the optimum
/// (lr 1e-3, batchSize 32, rmsAlpha 0.95) and the noise is Gaussian with standard deviation <see cref="NoiseStd"/>,
/// seeded by the run's seed and its other settings: replicates of a configuration differ, a run repeats exactly.
/// During training the curve falls from <c>final + Gap</c> at 0 images to exactly <c>final</c> after the run's N
/// training images, as <c>final + Gap (g(n) - g(N)) / (1 - g(N))</c> with <c>g(n) = 1 / (1 + k n / Scale)</c> and a
/// speed <c>k = (lr/1e-3)^(1/4)</c> (clamped to [0.1, 10]): a too-large learning rate looks better early and ends
/// worse, so early-stopping rules meet crossing curves as in real training, while the final loss keeps its known
/// optimum.
/// </para>
/// </summary>
public static class SimulatedObjective
{
    public const double OptimalLearningRate = 1e-3;
    public const int OptimalBatchSize = 32;
    public const double OptimalRmsAlpha = 0.95;
    public const double Floor = 0.05;
    public const double Penalty = 0.05;
    public const double Gap = 0.5;
    public const double Scale = 1000;
    public const double NoiseStd = 0.002;

    /// <summary>The distance d of the config's settings from the optimum (0 there).</summary>
    public static double Distance(RunConfig config)
    {
        double lr = Math.Log10(config.LearningRate / OptimalLearningRate);
        double batch = Math.Log2((double)config.BatchSize / OptimalBatchSize);
        double alpha = config.RmsAlpha - OptimalRmsAlpha;
        return lr * lr + 0.25 * batch * batch + 10 * alpha * alpha;
    }

    /// <summary>The noise-free final loss of the config: the mean over replicates in the limit of many.</summary>
    public static double ExpectedFinalLoss(RunConfig config) =>
        Floor + Penalty * Distance(config) + 1.0 / Math.Sqrt(TrainImages(config));

    /// <summary>The final loss of this run, replicate noise included.</summary>
    public static double FinalLoss(RunConfig config) => ExpectedFinalLoss(config) + NoiseStd * Noise(config);

    /// <summary>The test loss after <paramref name="imagesSeen"/> training images.</summary>
    public static double LossAt(RunConfig config, long imagesSeen)
    {
        double speed = Math.Clamp(Math.Pow(config.LearningRate / OptimalLearningRate, 0.25), 0.1, 10);
        double G(double n) => 1 / (1 + speed * n / Scale);
        double end = G(TrainImages(config));
        return FinalLoss(config) + Gap * (G(imagesSeen) - end) / (1 - end);
    }

    /// <summary>Training images of the whole run: trainSize x epochs (a train size of 0, the whole split, counts as
    /// 60,000 here).</summary>
    public static long TrainImages(RunConfig config) => (long)(config.TrainSize == 0 ? 60_000 : config.TrainSize) * config.Epochs;

    /// <summary>A standard normal number fixed by the seed and the settings the objective reads (not by, e.g., how
    /// often the run evaluates): Box-Muller on a generator seeded by a stable hash (FNV-1a; string.GetHashCode is
    /// randomised per process), so it is the same on every machine and in every process.</summary>
    static double Noise(RunConfig config)
    {
        var text = FormattableString.Invariant(
            $"{config.Seed}|{config.Dataset}|{config.TrainSize}|{config.Epochs}|{config.LearningRate:R}|{config.BatchSize}|{config.RmsAlpha:R}");
        ulong hash = 14695981039346656037UL;
        foreach (char c in text)
            hash = (hash ^ c) * 1099511628211UL;
        var random = new Random((int)(hash ^ (hash >> 32)));
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
