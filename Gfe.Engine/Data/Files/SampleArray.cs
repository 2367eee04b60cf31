namespace Gfe.Engine.Data.Files;

/// <summary>
/// An array read from a data file: <see cref="Shape"/> is [N, ...], one sample per index of the first axis, C order.
/// The values are float32 (the engine's precision) whatever the file held; <see cref="DType"/> records what that
/// was (numpy's names: float32, float64, uint8, int16, int32) for provenance.
/// </summary>
public sealed record SampleArray(float[] Values, int[] Shape, string DType, string Source)
{
    /// <summary>The number of samples N (the first axis).</summary>
    public int Count => Shape.Length == 0 ? 0 : Shape[0];

    /// <summary>The shape of one sample: every axis after the first; [] for a 1-D array (one value per sample).</summary>
    public int[] SampleShape => Shape.Length <= 1 ? [] : Shape[1..];

    /// <summary>Values per sample D, the product of <see cref="SampleShape"/> (1 for a 1-D array).</summary>
    public int FeatureCount => SampleShape.Aggregate(1, (n, d) => n * d);

    /// <summary>The shape as text, e.g. 1000x64x64.</summary>
    public string ShapeText => string.Join("x", Shape);

    /// <summary>Checks the array holds at least one sample of at least one value, and only finite values; the
    /// message names the first bad sample.</summary>
    public SampleArray CheckUsable()
    {
        if (Count == 0 || FeatureCount == 0 || Values.Length == 0)
            throw new DataInputException($"{Source}: the array is empty (shape [{string.Join(", ", Shape)}]); a dataset needs at least one sample of at least one value.");
        int d = FeatureCount;
        for (long i = 0; i < Values.LongLength; i++)
        {
            if (!float.IsFinite(Values[i]))
                throw new DataInputException(
                    $"{Source}: sample {i / d} has a {(float.IsNaN(Values[i]) ? "NaN" : "infinite")} value (feature {i % d}); remove or repair that sample.");
        }
        return this;
    }

    /// <summary>The samples at <paramref name="indices"/>, in that order.</summary>
    public SampleArray Select(IReadOnlyList<int> indices)
    {
        int d = FeatureCount;
        var values = new float[(long)indices.Count * d];
        for (int i = 0; i < indices.Count; i++)
            Array.Copy(Values, (long)indices[i] * d, values, (long)i * d, d);
        return this with { Values = values, Shape = [indices.Count, .. SampleShape] };
    }

    /// <summary>Checks that <see cref="Values"/> has as many values as <see cref="Shape"/> says; readers call it last.</summary>
    internal static SampleArray Create(float[] values, int[] shape, string dtype, string source)
    {
        long expected = shape.Aggregate(1L, (n, d) => n * d);
        if (shape.Length == 0)
            throw new DataInputException($"{source}: a scalar (shape []) is not a dataset; it needs an axis of samples.");
        if (values.LongLength != expected)
            throw new DataInputException($"{source}: shape [{string.Join(", ", shape)}] needs {expected} values, the file has {values.LongLength}.");
        return new SampleArray(values, shape, dtype, source);
    }
}
