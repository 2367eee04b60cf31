using Gfe.Engine.Data;

namespace Gfe.Engine.Training;

/// <summary>
/// The training subset of a run (docs/method.md §4): the first N images of a seeded shuffle of the training split. The
/// shuffle depends only on the seed and the split size, so for one seed the 480-image subset is a prefix of the
/// 1920-image one, and it is the same on every machine and .NET version (its own generator, not System.Random).
/// </summary>
public static class TrainingSubset
{
    /// <summary>The first <paramref name="take"/> of a seeded permutation of 0..count-1.</summary>
    public static int[] Indices(int count, int take, int seed)
    {
        if (take < 0 || take > count)
            throw new ArgumentOutOfRangeException(nameof(take), take, $"cannot take {take} of {count} images");
        var order = Enumerable.Range(0, count).ToArray();
        ulong state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL);
        // Fisher-Yates from the top; the modulo bias is below 2^-40 for any split that fits in memory.
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)(SplitMix64(ref state) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order[..take];
    }

    /// <summary>The images of the subset, in shuffled order (the order they are trained on).</summary>
    public static ImageSet FirstOfShuffle(ImageSet train, int take, int seed) =>
        train.Select(Indices(train.Count, take, seed));

    /// <summary>
    /// The order in which epoch <paramref name="epoch"/> (from 0) visits the <paramref name="count"/> subset images,
    /// each exactly once. Epoch 0 takes the subset as it is, already a seeded shuffle, so a one-epoch run trains on
    /// the first N of the shuffle in shuffle order; every later epoch is a fresh permutation fixed by seed and epoch,
    /// as a shuffling DataLoader draws one per epoch (docs/method.md §4).
    /// </summary>
    public static int[] EpochOrder(int count, int epoch, int seed)
    {
        if (epoch == 0) return Enumerable.Range(0, count).ToArray();
        ulong epochSeed = unchecked((ulong)seed * 0xD1B54A32D192ED03UL + (ulong)epoch * 0x8CB92BA72F3D8DD7UL);
        return SeededShuffle.Permutation(count, epochSeed);
    }

    static ulong SplitMix64(ref ulong state)
    {
        unchecked
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
