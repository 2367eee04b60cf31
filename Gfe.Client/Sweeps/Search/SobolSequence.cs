namespace Gfe.Client.Sweeps;

/// <summary>
/// The Sobol low-discrepancy sequence in up to <see cref="MaxDimensions"/> dimensions (Bratley-Fox / Joe-Kuo
/// direction numbers, Gray-code order, unscrambled). The first 2^k points of every dimension fall one in each of 2^k
/// equal bins, which is what makes a Sobol search cover its space more evenly than random draws.
/// </summary>
public sealed class SobolSequence
{
    const int Bits = 32;

    /// <summary>Dimensions 2.. : the degree s of the primitive polynomial, its coefficients a, and the initial direction
    /// numbers m_1..m_s (Joe and Kuo's table); dimension 1 is the van der Corput sequence.</summary>
    static readonly (int S, int A, int[] M)[] Table =
    [
        (1, 0, [1]),
        (2, 1, [1, 3]),
        (3, 1, [1, 3, 1]),
        (3, 2, [1, 1, 1]),
        (4, 1, [1, 1, 3, 3]),
        (4, 4, [1, 3, 5, 13]),
        (5, 2, [1, 1, 5, 5, 17]),
        (5, 4, [1, 1, 5, 5, 5]),
        (5, 7, [1, 1, 7, 11, 19]),
        (5, 11, [1, 1, 5, 1, 1]),
        (5, 13, [1, 1, 1, 3, 11]),
        (5, 14, [1, 3, 5, 5, 31]),
    ];

    public const int MaxDimensions = 13;

    readonly uint[][] directions;
    readonly uint[] state;
    uint index;

    public SobolSequence(int dimensions)
    {
        if (dimensions < 1 || dimensions > MaxDimensions)
            throw new ArgumentOutOfRangeException(nameof(dimensions), $"Sobol sequence: 1 to {MaxDimensions} dimensions, not {dimensions}");
        directions = new uint[dimensions][];
        for (int d = 0; d < dimensions; d++)
        {
            var v = new uint[Bits];
            if (d == 0)
            {
                for (int i = 0; i < Bits; i++) v[i] = 1u << (Bits - 1 - i);
            }
            else
            {
                var (s, a, m) = Table[d - 1];
                for (int i = 0; i < Math.Min(s, Bits); i++) v[i] = (uint)m[i] << (Bits - 1 - i);
                for (int i = s; i < Bits; i++)
                {
                    // v_i = a_1 v_{i-1} ^ ... ^ a_{s-1} v_{i-s+1} ^ v_{i-s} ^ (v_{i-s} >> s)
                    uint value = v[i - s] ^ (v[i - s] >> s);
                    for (int k = 1; k < s; k++)
                        if (((a >> (s - 1 - k)) & 1) != 0) value ^= v[i - k];
                    v[i] = value;
                }
            }
            directions[d] = v;
        }
        state = new uint[dimensions];
    }

    /// <summary>The next point, each coordinate in [0, 1); the first call returns the second point of the sequence
    /// (the first is the corner 0, which a search would waste on the lower bounds).</summary>
    public double[] Next()
    {
        // Gray-code update: flip by the direction number of the lowest zero bit of the index.
        int bit = System.Numerics.BitOperations.TrailingZeroCount(~index);
        index++;
        var point = new double[state.Length];
        for (int d = 0; d < state.Length; d++)
        {
            state[d] ^= directions[d][bit];
            point[d] = state[d] / 4294967296.0;
        }
        return point;
    }
}
