using System.Buffers.Binary;
using System.IO.Compression;

namespace Gfe.Engine.Data;

/// <summary>
/// The IDX format of the MNIST family: a big-endian header (magic 0x0000 08 d, where 08 says unsigned bytes and d is the
/// number of dimensions, then d sizes) followed by the bytes. Images are N x 28 x 28 (magic 0x00000803), labels are N
/// (magic 0x00000801). A file may be gzip-compressed or raw; the gzip magic 1f 8b decides, not the file name.
/// Every defect becomes a <see cref="DataException"/> that names the file.
/// </summary>
public static class IdxFile
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    // An IDX magic is two zero bytes, the element type (0x08 = unsigned byte) and the number of dimensions.
    private const byte UnsignedByteType = 0x08;

    /// <summary>Reads an images file and its labels file as one set, pixels scaled to [0,1] as torchvision's
    /// ToTensor does (byte / 255). With <paramref name="limit"/>, only the first images are decoded (the split uses the
    /// first 50,000 of 60,000), but the counts of both whole files must still agree.</summary>
    public static ImageSet ReadImageSet(string imagesPath, string labelsPath, int? limit = null)
    {
        var (images, offset, imageCount, labels) = ReadPair(imagesPath, labelsPath);
        int count = Math.Min(imageCount, limit ?? imageCount);
        var pixels = ToUnitFloats(images, offset, count * ImageSet.ImageSize);
        return new ImageSet(pixels, labels[..count]);
    }

    /// <summary>Checks an images file and its labels file completely (header, length, matching counts) without
    /// decoding pixels; returns the image count.</summary>
    public static int Validate(string imagesPath, string labelsPath) => ReadPair(imagesPath, labelsPath).Count;

    /// <summary>Reads an images file as floats in [0,1], 784 per image, and returns the image count.</summary>
    public static float[] ReadImages(string path, out int count)
    {
        (var data, int offset, count) = ReadImageBytes(path);
        return ToUnitFloats(data, offset, count * ImageSet.ImageSize);
    }

    /// <summary>Reads a labels file.</summary>
    public static byte[] ReadLabels(string path)
    {
        var data = ReadDecompressed(path);
        var (count, offset) = ReadHeader(data, path, LabelsMagic, "labels");
        CheckLength(data, path, offset, count, 1, "labels");
        return data.AsSpan(offset, count).ToArray();
    }

    /// <summary>Writes raw image bytes (0..255, 784 per image) as an IDX images file.</summary>
    public static void WriteImages(string path, ReadOnlySpan<byte> pixels, bool gzip)
    {
        if (pixels.Length % ImageSet.ImageSize != 0)
            throw new ArgumentException($"{pixels.Length} pixel bytes are not a whole number of 28x28 images.", nameof(pixels));
        Span<int> dims = [pixels.Length / ImageSet.ImageSize, ImageSet.Rows, ImageSet.Columns];
        Write(path, ImagesMagic, dims, pixels, gzip);
    }

    /// <summary>Writes images given as floats in [0,1], rounding each to the nearest byte value.</summary>
    public static void WriteImages(string path, ImageSet images, bool gzip)
    {
        var bytes = new byte[images.Pixels.Length];
        for (int i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)Math.Clamp(MathF.Round(images.Pixels[i] * 255f), 0f, 255f);
        WriteImages(path, bytes, gzip);
    }

    /// <summary>Writes an IDX labels file.</summary>
    public static void WriteLabels(string path, ReadOnlySpan<byte> labels, bool gzip)
    {
        Span<int> dims = [labels.Length];
        Write(path, LabelsMagic, dims, labels, gzip);
    }

    private static (byte[] Images, int Offset, int Count, byte[] Labels) ReadPair(string imagesPath, string labelsPath)
    {
        var (images, offset, count) = ReadImageBytes(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (labels.Length != count)
            throw new DataException(
                $"{imagesPath} has {count} images but {labelsPath} has {labels.Length} labels; the two files do not belong together.");
        return (images, offset, count, labels);
    }

    // The pixels stay in the decompressed buffer after the header, so the 47 MB training file is not copied again.
    private static (byte[] Data, int Offset, int Count) ReadImageBytes(string path)
    {
        var data = ReadDecompressed(path);
        var (count, offset) = ReadHeader(data, path, ImagesMagic, "images");
        CheckLength(data, path, offset, count, ImageSet.ImageSize, "images");
        return (data, offset, count);
    }

    private static float[] ToUnitFloats(byte[] data, int offset, int length)
    {
        var floats = new float[length];
        for (int i = 0; i < length; i++) floats[i] = data[offset + i] / 255f;
        return floats;
    }

    private static (int Count, int Offset) ReadHeader(byte[] data, string path, int expectedMagic, string kind)
    {
        if (data.Length < 4)
            throw new DataException($"{path}: only {data.Length} bytes, too short for an IDX {kind} file.");
        int magic = BinaryPrimitives.ReadInt32BigEndian(data);
        int expectedDims = expectedMagic & 0xFF;
        string shape = expectedDims == 3 ? "N x 28 x 28" : "N";
        if (data[0] != 0 || data[1] != 0 || data[2] != UnsignedByteType)
            throw new DataException(
                $"{path}: not an IDX {kind} file (magic 0x{magic:X8}, expected 0x{expectedMagic:X8}).");
        int dims = data[3];
        if (dims != expectedDims)
            throw new DataException(
                $"{path}: wrong dimensions: an IDX {kind} file has {expectedDims} dimension(s) ({shape}), this one has {dims} (magic 0x{magic:X8}).");
        int offset = 4 + 4 * dims;
        if (data.Length < offset)
            throw new DataException($"{path}: truncated inside its IDX header ({data.Length} of {offset} bytes).");
        int count = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4));
        if (count < 0)
            throw new DataException($"{path}: the header declares a negative count ({count}).");
        if (dims == 3)
        {
            int rows = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(8));
            int columns = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(12));
            if (rows != ImageSet.Rows || columns != ImageSet.Columns)
                throw new DataException(
                    $"{path}: wrong dimensions: images are {rows} x {columns}, expected {ImageSet.Rows} x {ImageSet.Columns}.");
        }
        return (count, offset);
    }

    private static void CheckLength(byte[] data, string path, int offset, int count, int itemSize, string kind)
    {
        long expected = (long)count * itemSize;
        long actual = data.Length - offset;
        if (actual < expected)
            throw new DataException(
                $"{path}: truncated: the header declares {count} {kind} ({expected} bytes) but only {actual} bytes follow.");
        if (actual > expected)
            throw new DataException(
                $"{path}: {actual - expected} bytes follow the {count} {kind} its header declares; the file is damaged or not IDX.");
    }

    internal static byte[] ReadDecompressed(string path)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: file not found.");
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> head = stackalloc byte[2];
            int read = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
            file.Position = 0;
            if (read == 2 && head[0] == 0x1f && head[1] == 0x8b)
            {
                using var gzip = new GZipStream(file, CompressionMode.Decompress);
                using var buffer = new MemoryStream();
                gzip.CopyTo(buffer);
                return buffer.ToArray();
            }
            var raw = new byte[file.Length];
            file.ReadExactly(raw);
            return raw;
        }
        catch (InvalidDataException e)
        {
            throw new DataException($"{path}: starts like gzip but cannot be decompressed ({e.Message}).", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path}: cannot be read ({e.Message}).", e);
        }
    }

    internal static void Write(string path, int magic, ReadOnlySpan<int> dims, ReadOnlySpan<byte> body, bool gzip)
    {
        Span<byte> header = stackalloc byte[4 + 4 * dims.Length];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(header[(4 + 4 * i)..], dims[i]);
        using var file = File.Create(path);
        using Stream target = gzip ? new GZipStream(file, CompressionLevel.Optimal) : file;
        target.Write(header);
        target.Write(body);
    }
}
