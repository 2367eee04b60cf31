using System.Buffers.Binary;
using System.IO.Compression;
using Gfe.Engine.Data;
using Xunit;

namespace Gfe.Tests.Data;

public sealed class IdxFileTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ImagesAndLabels_RoundTrip_AsBytesOver255(bool gzip)
    {
        var bytes = SyntheticIdx.ImageBytes(5);
        var labels = SyntheticIdx.Labels(5);
        IdxFile.WriteImages(temp.File("images"), bytes, gzip);
        IdxFile.WriteLabels(temp.File("labels"), labels, gzip);

        var set = IdxFile.ReadImageSet(temp.File("images"), temp.File("labels"));

        Assert.Equal(5, set.Count);
        Assert.Equal(labels, set.Labels);
        Assert.Equal(bytes.Select(b => b / 255f), set.Pixels);
        Assert.Equal(0f, set.Pixels.Min());
        Assert.Equal(1f, set.Pixels.Max());
    }

    [Fact]
    public void Gzip_IsDetectedByMagic_NotByName()
    {
        IdxFile.WriteImages(temp.File("images.raw"), SyntheticIdx.ImageBytes(2), gzip: true);
        IdxFile.WriteLabels(temp.File("labels.gz"), SyntheticIdx.Labels(2), gzip: false);
        var head = File.ReadAllBytes(temp.File("images.raw"))[..2];
        Assert.Equal(new byte[] { 0x1f, 0x8b }, head);

        var set = IdxFile.ReadImageSet(temp.File("images.raw"), temp.File("labels.gz"));

        Assert.Equal(2, set.Count);
    }

    [Fact]
    public void FileHeader_IsBigEndianIdx()
    {
        IdxFile.WriteImages(temp.File("images"), SyntheticIdx.ImageBytes(3), gzip: false);
        var raw = File.ReadAllBytes(temp.File("images"));

        Assert.Equal(0x00000803, BinaryPrimitives.ReadInt32BigEndian(raw));
        Assert.Equal(3, BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(4)));
        Assert.Equal(28, BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(8)));
        Assert.Equal(28, BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(12)));
        Assert.Equal(16 + 3 * 784, raw.Length);
    }

    [Fact]
    public void FloatImages_RoundTrip_ThroughNearestByte()
    {
        var original = new ImageSet(SyntheticIdx.ImageBytes(2).Select(b => b / 255f).ToArray(), [3, 4]);
        IdxFile.WriteImages(temp.File("images.gz"), original, gzip: true);

        var pixels = IdxFile.ReadImages(temp.File("images.gz"), out int count);

        Assert.Equal(2, count);
        Assert.Equal(original.Pixels, pixels);
    }

    [Fact]
    public void Limit_DecodesOnlyTheFirstImages()
    {
        IdxFile.WriteImages(temp.File("images"), SyntheticIdx.ImageBytes(6), gzip: false);
        IdxFile.WriteLabels(temp.File("labels"), SyntheticIdx.Labels(6), gzip: false);

        var set = IdxFile.ReadImageSet(temp.File("images"), temp.File("labels"), limit: 4);

        Assert.Equal(4, set.Count);
        Assert.Equal(4 * 784, set.Pixels.Length);
        Assert.Equal(SyntheticIdx.ImageBytes(4).Select(b => b / 255f), set.Pixels);
    }

    [Fact]
    public void WrongMagic_NamesTheFile()
    {
        var path = temp.File("images");
        var raw = Header(0x12345678, 1, 28, 28).Concat(new byte[784]).ToArray();
        File.WriteAllBytes(path, raw);

        var e = Assert.Throws<DataException>(() => IdxFile.ReadImages(path, out _));

        Assert.Contains(path, e.Message);
        Assert.Contains("magic 0x12345678", e.Message);
    }

    [Fact]
    public void LabelsFileReadAsImages_IsWrongDimensionCount()
    {
        var path = temp.File("labels-as-images");
        IdxFile.WriteLabels(path, SyntheticIdx.Labels(784), gzip: false);

        var e = Assert.Throws<DataException>(() => IdxFile.ReadImages(path, out _));

        Assert.Contains(path, e.Message);
        Assert.Contains("wrong dimensions", e.Message);
        Assert.Contains("has 1", e.Message);
    }

    [Fact]
    public void ImagesOtherThan28x28_AreWrongDimensions()
    {
        var path = temp.File("images32.gz");
        WriteGzip(path, Header(0x00000803, 1, 32, 32).Concat(new byte[32 * 32]).ToArray());

        var e = Assert.Throws<DataException>(() => IdxFile.ReadImages(path, out _));

        Assert.Contains(path, e.Message);
        Assert.Contains("32 x 32", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedImages_NameTheFile(bool gzip)
    {
        var path = temp.File("images");
        var raw = Header(0x00000803, 3, 28, 28).Concat(SyntheticIdx.ImageBytes(3)[..(2 * 784 + 100)]).ToArray();
        if (gzip) WriteGzip(path, raw); else File.WriteAllBytes(path, raw);

        var e = Assert.Throws<DataException>(() => IdxFile.ReadImages(path, out _));

        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("1668 bytes follow", e.Message);
    }

    [Fact]
    public void TruncatedLabels_NameTheFile()
    {
        var path = temp.File("labels");
        File.WriteAllBytes(path, Header(0x00000801, 10).Concat(new byte[7]).ToArray());

        var e = Assert.Throws<DataException>(() => IdxFile.ReadLabels(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void TruncatedHeader_NamesTheFile()
    {
        var path = temp.File("images");
        File.WriteAllBytes(path, Header(0x00000803, 3, 28, 28)[..10]);

        var e = Assert.Throws<DataException>(() => IdxFile.ReadImages(path, out _));

        Assert.Contains(path, e.Message);
        Assert.Contains("header", e.Message);
    }

    [Fact]
    public void BytesBeyondTheDeclaredCount_AreReported()
    {
        var path = temp.File("labels");
        File.WriteAllBytes(path, Header(0x00000801, 2).Concat(new byte[5]).ToArray());

        var e = Assert.Throws<DataException>(() => IdxFile.ReadLabels(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("3 bytes follow", e.Message);
    }

    [Fact]
    public void ImageAndLabelCounts_MustAgree()
    {
        IdxFile.WriteImages(temp.File("images"), SyntheticIdx.ImageBytes(4), gzip: true);
        IdxFile.WriteLabels(temp.File("labels"), SyntheticIdx.Labels(5), gzip: true);

        var e = Assert.Throws<DataException>(() => IdxFile.ReadImageSet(temp.File("images"), temp.File("labels")));

        Assert.Contains(temp.File("images"), e.Message);
        Assert.Contains(temp.File("labels"), e.Message);
        Assert.Contains("4 images", e.Message);
        Assert.Contains("5 labels", e.Message);
    }

    [Fact]
    public void GarbageAfterGzipMagic_IsUnreadableGzip()
    {
        var path = temp.File("images.gz");
        var garbage = new byte[200];
        new Random(1).NextBytes(garbage);
        garbage[0] = 0x1f;
        garbage[1] = 0x8b;
        File.WriteAllBytes(path, garbage);

        var e = Assert.Throws<DataException>(() => IdxFile.ReadImages(path, out _));

        Assert.Contains(path, e.Message);
        Assert.Contains("gzip", e.Message);
    }

    [Fact]
    public void MissingFile_IsDataException()
    {
        var path = temp.File("absent");

        var e = Assert.Throws<DataException>(() => IdxFile.ReadLabels(path));

        Assert.Contains(path, e.Message);
    }

    private static byte[] Header(int magic, params int[] dims)
    {
        var header = new byte[4 + 4 * dims.Length];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        return header;
    }

    private static void WriteGzip(string path, byte[] content)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(content);
    }
}
