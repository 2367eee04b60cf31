namespace Gfe.Engine.Data.Files;

/// <summary>Writes a float32 .npy file of a known shape batch by batch, so that memory does not grow with the number
/// of samples (<c>gfe encode</c>, latents). The header is written first; <see cref="Complete"/> checks that exactly the
/// declared number of values arrived.</summary>
public sealed class NpyWriter : IDisposable
{
    readonly FileStream file;
    readonly long expected;
    long written;

    public NpyWriter(string path, int[] shape)
    {
        file = File.Create(path);
        NpyFile.Write(file, Array.Empty<float>(), shape);
        expected = shape.Aggregate(1L, (n, d) => n * d);
    }

    public void Append(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        file.Write(bytes);
        written += values.Length;
    }

    /// <summary>Flushes the file and checks it holds as many values as its header says.</summary>
    public void Complete()
    {
        file.Flush();
        if (written != expected)
            throw new InvalidOperationException($"{file.Name}: {written} values written, the header declares {expected}");
    }

    public void Dispose() => file.Dispose();
}
