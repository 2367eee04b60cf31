namespace Gfe.Engine.Data.Files;

/// <summary>
/// Reads a .npy file sample by sample, so that encoding a file larger than memory keeps only one batch in memory
/// (<c>gfe encode</c>). The header is checked on opening as <see cref="NpyFile.Read(string)"/> checks it.
/// </summary>
public sealed class NpyReader : IDisposable
{
    readonly Stream stream;
    readonly string source;
    readonly int size;
    long samplesRead;

    public NpyReader(Stream stream, string source)
    {
        this.stream = stream;
        this.source = source;
        (DType, size, Shape) = NpyFile.ReadHeader(stream, source);
    }

    /// <summary>Opens a file; a missing one is a <see cref="DataException"/>.</summary>
    public static NpyReader Open(string path) => new(DataFileIo.OpenRead(path), path);

    public string DType { get; }

    public int[] Shape { get; }

    /// <summary>Samples in the file (the first axis).</summary>
    public int Count => Shape.Length == 0 ? 0 : Shape[0];

    /// <summary>Values per sample.</summary>
    public int FeatureCount => Shape.Skip(1).Aggregate(1, (n, d) => n * d);

    /// <summary>Reads values into the whole of <paramref name="values"/>.</summary>
    public void ReadValues(Span<float> values) => NpyFile.ReadValues(stream, source, DType, size, values);

    /// <summary>The next up to <paramref name="count"/> samples, checked finite (the message names the sample's
    /// index in the file); an empty array at the end.</summary>
    public float[] ReadSamples(int count)
    {
        int take = (int)Math.Min(count, Count - samplesRead);
        if (take <= 0) return [];
        var values = new float[(long)take * FeatureCount];
        ReadValues(values);
        for (long i = 0; i < values.LongLength; i++)
            if (!float.IsFinite(values[i]))
                throw new DataInputException($"{source}: sample {samplesRead + i / FeatureCount} has a {(float.IsNaN(values[i]) ? "NaN" : "infinite")} value (feature {i % FeatureCount}); remove or repair that sample.");
        samplesRead += take;
        return values;
    }

    public void Dispose() => stream.Dispose();
}
