using System.Buffers.Binary;

namespace Gfe.Engine.Data.Files;

/// <summary>
/// IDX files of any rank and element type, the general form of the MNIST files (<see cref="IdxFile"/> reads those as
/// 28x28 images): magic 0x0000 tt dd with element type tt (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D
/// float32, 0x0E float64, all big-endian) and dd dimensions, then dd big-endian sizes and the values. Raw or gzip. Bytes
/// are read as they are (0..255), not scaled: a declared dataset chooses its own <c>normalize</c>.
/// </summary>
public static class IdxArray
{
    static readonly Dictionary<byte, (string Name, int Size)> Types = new()
    {
        [0x08] = ("uint8", 1), [0x09] = ("int8", 1), [0x0B] = ("int16", 2), [0x0C] = ("int32", 4),
        [0x0D] = ("float32", 4), [0x0E] = ("float64", 8),
    };

    public static SampleArray Read(string path)
    {
        using (DataFileIo.OpenRead(path)) { }
        byte[] data;
        try
        {
            data = IdxFile.ReadDecompressed(path);
        }
        catch (DataException e) when (File.Exists(path) && e.Message.Contains("gzip"))
        {
            throw new DataInputException(e.Message, e);
        }
        if (data.Length < 4 || data[0] != 0 || data[1] != 0 || !Types.TryGetValue(data[2], out var type))
            throw new DataInputException($"{path}: not an IDX file of a supported type (magic {Convert.ToHexString(data.AsSpan(0, Math.Min(4, data.Length)))}).");
        int rank = data[3];
        if (rank == 0 || data.Length < 4 + 4 * rank)
            throw new DataInputException($"{path}: the IDX header (rank {rank}) is truncated or has no dimensions.");
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4 + 4 * i));
            if (shape[i] < 0) throw new DataInputException($"{path}: dimension {i} is negative ({shape[i]}).");
        }
        long count = shape.Aggregate(1L, (n, d) => n * d);
        int offset = 4 + 4 * rank;
        long expected = offset + count * type.Size;
        if (data.LongLength != expected)
            throw new DataInputException(
                $"{path}: shape [{string.Join(", ", shape)}] of {type.Name} needs {expected} bytes, the file has {data.LongLength}.");
        var values = new float[count];
        var body = data.AsSpan(offset);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = type.Name switch
            {
                "uint8" => body[i],
                "int8" => (sbyte)body[i],
                "int16" => BinaryPrimitives.ReadInt16BigEndian(body[(2 * i)..]),
                "int32" => BinaryPrimitives.ReadInt32BigEndian(body[(4 * i)..]),
                "float32" => BinaryPrimitives.ReadSingleBigEndian(body[(4 * i)..]),
                _ => (float)BinaryPrimitives.ReadDoubleBigEndian(body[(8 * i)..]),
            };
        }
        return SampleArray.Create(values, shape, type.Name, path);
    }

    /// <summary>Writes float32 values of any shape as IDX (type 0x0D); uint8 is <see cref="IdxFile"/>'s writer.</summary>
    public static void WriteFloats(string path, float[] values, int[] shape, bool gzip)
    {
        var body = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleBigEndian(body.AsSpan(4 * i), values[i]);
        IdxFile.Write(path, 0x0D00 | shape.Length, shape, body, gzip);
    }

    /// <summary>Writes bytes of any shape as IDX (type 0x08).</summary>
    public static void WriteBytes(string path, byte[] values, int[] shape, bool gzip) =>
        IdxFile.Write(path, 0x0800 | shape.Length, shape, values, gzip);
}
