namespace Gfe.Engine.Data;

/// <summary>
/// A permutation that depends only on its seed, on every platform and .NET version: a Fisher-Yates shuffle driven by
/// SplitMix64 (Steele, Lea and Flood 2014). The reference uses numpy's RandomState(0).permutation; reproducing that
/// Mersenne-Twister stream bit for bit is not required, so the split is "the same rule, a different fixed order".
/// </summary>
public static class SeededShuffle
{
    /// <summary>A permutation of 0..count-1 determined by <paramref name="seed"/>.</summary>
    public static int[] Permutation(int count, ulong seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        ulong state = seed;
        for (int i = count - 1; i > 0; i--)
        {
            // The high word of next * (i + 1) is uniform on [0, i] up to a bias below 2^-32, without modulo.
            ulong high = Math.BigMul(NextSplitMix64(ref state), (ulong)(i + 1), out _);
            int j = (int)high;
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private static ulong NextSplitMix64(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        ulong z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
