using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Gfe.Engine.Data.Files;

/// <summary>
/// NumPy's .npy format (version 1.0, 2.0 or 3.0): the magic <c>\x93NUMPY</c>, a version, a header length (2 bytes in
/// 1.0, 4 in 2.0/3.0, little-endian), a Python dict literal <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (N, D), }</c>
/// padded with spaces to a multiple of 64 bytes, then the raw values. Read: float32, float64, uint8, int16, int32,
/// little-endian (or byte-order-free for uint8), C order. Written: float32 and the other read types (the writer exists
/// for latents and for tests).
/// </summary>
public static partial class NpyFile
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The element types read, by numpy descr (little-endian or no byte order), with their numpy names.</summary>
    static readonly Dictionary<string, (string Name, int Size)> Supported = new()
    {
        ["<f4"] = ("float32", 4), ["<f8"] = ("float64", 8), ["|u1"] = ("uint8", 1), ["<u1"] = ("uint8", 1),
        ["<i2"] = ("int16", 2), ["<i4"] = ("int32", 4),
    };

    /// <summary>Reads a .npy file; a missing or unreadable file is a <see cref="DataException"/>, bad content a
    /// <see cref="DataInputException"/>.</summary>
    public static SampleArray Read(string path)
    {
        using var stream = DataFileIo.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads one .npy array from a stream; <paramref name="source"/> names it in messages.</summary>
    public static SampleArray Read(Stream stream, string source)
    {
        var reader = new NpyReader(stream, source);
        long count = reader.Shape.Aggregate(1L, (n, d) => n * d);
        if (count > Array.MaxLength) throw new DataInputException($"{source}: {count} values are more than one array can hold.");
        var values = new float[count];
        reader.ReadValues(values);
        return SampleArray.Create(values, reader.Shape, reader.DType, source);
    }

    /// <summary>The header of a .npy stream, checked: (dtype, shape), the stream left at the first value.</summary>
    internal static (string DType, int Size, int[] Shape) ReadHeader(Stream stream, string source)
    {
        var prefix = new byte[10];
        if (ReadFully(stream, prefix) < 10 || !prefix.AsSpan(0, 6).SequenceEqual(Magic))
            throw new DataInputException($"{source}: not a NumPy .npy file (no \\x93NUMPY magic).");
        int major = prefix[6];
        int headerLength;
        if (major == 1) headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix.AsSpan(8));
        else if (major is 2 or 3)
        {
            var rest = new byte[2];
            if (ReadFully(stream, rest) < 2) throw Truncated(source, "header");
            headerLength = (int)BinaryPrimitives.ReadUInt32LittleEndian([prefix[8], prefix[9], rest[0], rest[1]]);
        }
        else throw new DataInputException($"{source}: .npy version {major}.{prefix[7]} is not supported (1.0, 2.0 and 3.0 are).");
        if (headerLength <= 0 || headerLength > 1 << 20) throw new DataInputException($"{source}: implausible .npy header length {headerLength}.");
        var headerBytes = new byte[headerLength];
        if (ReadFully(stream, headerBytes) < headerLength) throw Truncated(source, "header");
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        var descr = HeaderValue(DescrPattern(), header, "descr", source);
        var fortran = HeaderValue(FortranPattern(), header, "fortran_order", source);
        var shapeText = HeaderValue(ShapePattern(), header, "shape", source);
        if (fortran == "True")
            throw new DataInputException(
                $"{source}: the array is in Fortran order; save it in C order, e.g. np.save(path, np.ascontiguousarray(a)).");
        if (!Supported.TryGetValue(descr, out var type))
            throw new DataInputException(
                $"{source}: dtype '{descr}' is not supported; use float32, float64, uint8, int16 or int32 (little-endian), e.g. a.astype(np.float32).");
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= int.MaxValue
                ? (int)n : throw new DataInputException($"{source}: bad shape ({shapeText}) in the .npy header."))
            .ToArray();
        return (type.Name, type.Size, shape);
    }

    /// <summary>Decodes the next <paramref name="values"/>.Length values of a stream positioned inside the data.</summary>
    internal static void ReadValues(Stream stream, string source, string dtype, int size, Span<float> values)
    {
        var buffer = new byte[Math.Min(1 << 20, Math.Max(size, (long)values.Length * size))];
        int done = 0;
        while (done < values.Length)
        {
            int want = Math.Min(buffer.Length / size, values.Length - done);
            int got = ReadFully(stream, buffer.AsSpan(0, want * size));
            if (got < want * size) throw Truncated(source, "data");
            Decode(dtype, buffer.AsSpan(0, got), values.Slice(done, want));
            done += want;
        }
    }

    /// <summary>Writes float32 values in C order.</summary>
    public static void Write(string path, float[] values, int[] shape)
    {
        using var stream = File.Create(path);
        Write(stream, values, shape);
    }

    /// <summary>Writes an array of float, double, byte, short or int as .npy version 1.0, little-endian;
    /// <paramref name="fortranOrder"/> only marks the header (tests use it to check that such files are refused).</summary>
    public static void Write(Stream stream, Array values, int[] shape, bool fortranOrder = false)
    {
        var (descr, bytes) = values switch
        {
            float[] f => ("<f4", Encode(f, 4, (s, v) => BinaryPrimitives.WriteSingleLittleEndian(s, v))),
            double[] d => ("<f8", Encode(d, 8, (s, v) => BinaryPrimitives.WriteDoubleLittleEndian(s, v))),
            byte[] b => ("|u1", b),
            short[] h => ("<i2", Encode(h, 2, (s, v) => BinaryPrimitives.WriteInt16LittleEndian(s, v))),
            int[] i => ("<i4", Encode(i, 4, (s, v) => BinaryPrimitives.WriteInt32LittleEndian(s, v))),
            _ => throw new ArgumentException($"cannot write {values.GetType().Name} as .npy", nameof(values)),
        };
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        var header = $"{{'descr': '{descr}', 'fortran_order': {(fortranOrder ? "True" : "False")}, 'shape': {shapeText}, }}";
        // Magic (6) + version (2) + length (2) + header + '\n', padded with spaces to a multiple of 64.
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.Latin1.GetBytes(header));
        stream.Write(bytes);
    }

    static byte[] Encode<T>(T[] values, int size, SpanAction<T> write)
    {
        var bytes = new byte[values.LongLength * size];
        for (long i = 0; i < values.LongLength; i++) write(bytes.AsSpan((int)(i * size), size), values[i]);
        return bytes;
    }

    delegate void SpanAction<T>(Span<byte> span, T value);

    static void Decode(string type, ReadOnlySpan<byte> bytes, Span<float> values)
    {
        switch (type)
        {
            case "float32":
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            case "float64":
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                break;
            case "uint8":
                for (int i = 0; i < values.Length; i++) values[i] = bytes[i];
                break;
            case "int16":
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes[(2 * i)..]);
                break;
            case "int32":
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]);
                break;
        }
    }

    static string HeaderValue(Regex pattern, string header, string key, string source)
    {
        var match = pattern.Match(header);
        return match.Success ? match.Groups[1].Value
            : throw new DataInputException($"{source}: the .npy header has no readable '{key}' ({header.Trim()}).");
    }

    internal static DataInputException Truncated(string source, string part) =>
        new($"{source}: the file ends inside its {part}; it is truncated.");

    static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
