namespace Gfe.Engine.Data;

/// <summary>How a dataset's values are scaled before training: none, minmax (each feature to [0,1] over the training
/// split) or standard (each feature to mean 0 and standard deviation 1 over the training split).</summary>
public enum NormalizeMode { None, Minmax, Standard }

/// <summary>
/// A per-feature affine map x' = (x - Offset) / Scale, fitted on the training split only and applied unchanged to the
/// test split and to any data encoded later with the trained model, so that no test statistics leak into training. A
/// feature that is (nearly) constant over the training split keeps scale 1, so it is only shifted
/// (<see cref="FlatTolerance"/>). Saved with every trained model
/// (<see cref="Offset"/>, <see cref="Scale"/>) so reconstructions and encodings can be reported in the data's own
/// units (<see cref="Invert"/>).
/// </summary>
public sealed record Normalization(NormalizeMode Mode, float[] Offset, float[] Scale)
{
    public static Normalization None { get; } = new(NormalizeMode.None, [], []);

    /// <summary>
    /// A feature whose training spread (standard deviation for standard, max - min for minmax) is at most this times
    /// max(1, |its offset|) counts as constant and keeps scale 1: it is centred (or shifted to 0) but not divided.
    /// Dividing by a spread that is float32 round-off (a detector channel that never fires, a border pixel that is
    /// always 0.5 give or take 1e-7) would blow that noise up to values of order 1 in training, and test values that
    /// differ by a little into values of order 10^6. Relative to the offset, because round-off grows with it.
    /// </summary>
    public const double FlatTolerance = 1e-6;

    /// <summary>Fits <paramref name="mode"/> on <paramref name="train"/> (N x <paramref name="features"/> values), in
    /// double precision.</summary>
    public static Normalization Fit(NormalizeMode mode, float[] train, int features)
    {
        if (mode == NormalizeMode.None) return None;
        long n = train.LongLength / features;
        var offset = new float[features];
        var scale = new float[features];
        for (int f = 0; f < features; f++)
        {
            double a, b;
            if (mode == NormalizeMode.Minmax)
            {
                double min = double.PositiveInfinity, max = double.NegativeInfinity;
                for (long i = 0; i < n; i++)
                {
                    double v = train[i * features + f];
                    if (v < min) min = v;
                    if (v > max) max = v;
                }
                a = min;
                b = max - min;
            }
            else
            {
                double sum = 0, sumSq = 0;
                for (long i = 0; i < n; i++) sum += train[i * features + f];
                double mean = sum / n;
                for (long i = 0; i < n; i++)
                {
                    double d = train[i * features + f] - mean;
                    sumSq += d * d;
                }
                a = mean;
                b = Math.Sqrt(sumSq / n);
            }
            offset[f] = (float)a;
            scale[f] = b > FlatTolerance * Math.Max(1, Math.Abs(a)) && double.IsFinite(b) ? (float)b : 1f;
        }
        return new Normalization(mode, offset, scale);
    }

    /// <summary>x' = (x - offset) / scale, per feature, as a new array.</summary>
    public float[] Apply(float[] values)
    {
        if (Mode == NormalizeMode.None) return values;
        var result = new float[values.LongLength];
        int d = Offset.Length;
        for (long i = 0; i < values.LongLength; i++)
        {
            int f = (int)(i % d);
            result[i] = (values[i] - Offset[f]) / Scale[f];
        }
        return result;
    }

    /// <summary>x = x' * scale + offset, per feature: back to the data's own units.</summary>
    public float[] Invert(float[] values)
    {
        if (Mode == NormalizeMode.None) return values;
        var result = new float[values.LongLength];
        int d = Offset.Length;
        for (long i = 0; i < values.LongLength; i++)
        {
            int f = (int)(i % d);
            result[i] = values[i] * Scale[f] + Offset[f];
        }
        return result;
    }

    /// <summary>The mode as declarations write it: none, minmax, standard.</summary>
    public static string Text(NormalizeMode mode) => mode.ToString().ToLowerInvariant();

    /// <summary>Parses none, minmax or standard; anything else is null.</summary>
    public static NormalizeMode? ParseMode(string text) => text.Trim().ToLowerInvariant() switch
    {
        "none" => NormalizeMode.None,
        "minmax" => NormalizeMode.Minmax,
        "standard" => NormalizeMode.Standard,
        _ => null,
    };
}
