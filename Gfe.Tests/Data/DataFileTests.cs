using System.Text;
using Gfe.Engine.Data;
using Gfe.Engine.Data.Files;
using PureHDF;
using Xunit;

namespace Gfe.Tests.Data;

/// <summary>Every file format of a dataset from files: a round trip through a file written here, and each bad case
/// with the message it must give.</summary>
public sealed class DataFileTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static readonly int[] Shape = [3, 2, 2];
    static float[] Expected => [.. Enumerable.Range(0, 12).Select(i => (float)(i * 3 - 7))];

    public static TheoryData<string> Dtypes => new() { "float32", "float64", "uint8", "int16", "int32" };

    static Array Typed(string dtype, float[] values) => dtype switch
    {
        "float32" => values,
        "float64" => values.Select(v => v + 0.25).ToArray(),
        "uint8" => values.Select(v => (byte)(v + 7)).ToArray(),
        "int16" => values.Select(v => (short)(v * 100)).ToArray(),
        _ => values.Select(v => (int)v * 100_000).ToArray(),
    };

    static float[] AsFloats(Array values) => values.Cast<object>().Select(Convert.ToSingle).ToArray();

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void Npy_RoundTrips_EveryDtype_AnyShape(string dtype)
    {
        var values = Typed(dtype, Expected);
        using (var file = File.Create(temp.File("a.npy"))) NpyFile.Write(file, values, Shape);

        var array = DataFileReference.Parse(temp.File("a.npy")).Read();

        Assert.Equal(dtype, array.DType);
        Assert.Equal(Shape, array.Shape);
        Assert.Equal([2, 2], array.SampleShape);
        Assert.Equal(4, array.FeatureCount);
        Assert.Equal(AsFloats(values), array.Values);
    }

    [Fact]
    public void Npy_HeaderIsPaddedTo64Bytes_AsNumpyWrites()
    {
        NpyFile.Write(temp.File("a.npy"), Expected, Shape);
        var bytes = File.ReadAllBytes(temp.File("a.npy"));
        int headerEnd = 10 + BitConverter.ToUInt16(bytes, 8);
        Assert.Equal(0, headerEnd % 64);
        Assert.Equal((byte)'\n', bytes[headerEnd - 1]);
        Assert.Equal(12 * 4, bytes.Length - headerEnd);
    }

    [Fact]
    public void Npy_FortranOrder_IsRefused()
    {
        using (var file = File.Create(temp.File("f.npy"))) NpyFile.Write(file, Expected, Shape, fortranOrder: true);
        var e = Assert.Throws<DataInputException>(() => NpyFile.Read(temp.File("f.npy")));
        Assert.Contains("Fortran order", e.Message);
        Assert.Contains("f.npy", e.Message);
    }

    [Theory]
    [InlineData("<f2")]
    [InlineData(">f4")]
    [InlineData("<c8")]
    public void Npy_UnsupportedDtype_IsRefused(string descr)
    {
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}".PadRight(117) + "\n";
        File.WriteAllBytes(temp.File("d.npy"), [0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, 0, .. Encoding.ASCII.GetBytes(header), .. new byte[16]]);
        var e = Assert.Throws<DataInputException>(() => NpyFile.Read(temp.File("d.npy")));
        Assert.Contains($"dtype '{descr}' is not supported", e.Message);
    }

    [Fact]
    public void Npy_Truncated_IsRefused()
    {
        NpyFile.Write(temp.File("t.npy"), Expected, Shape);
        var bytes = File.ReadAllBytes(temp.File("t.npy"));
        File.WriteAllBytes(temp.File("t.npy"), bytes[..^5]);
        Assert.Contains("truncated", Assert.Throws<DataInputException>(() => NpyFile.Read(temp.File("t.npy"))).Message);
    }

    [Fact]
    public void Npz_ReadsArraysByName_AndListsThemWhenTheNameIsWrong()
    {
        NpzFile.Write(temp.File("d.npz"), [("train", Expected, Shape), ("labels", new double[] { 1.5, 2.5, 3.5 }, [3])]);

        Assert.Equal(["train", "labels"], NpzFile.Names(temp.File("d.npz")));
        var train = DataFileReference.Parse(temp.File("d.npz") + ":train").Read();
        Assert.Equal(Expected, train.Values);
        Assert.Equal(Shape, train.Shape);
        var labels = DataFileReference.Parse(temp.File("d.npz") + ":labels").Read();
        Assert.Equal([1.5f, 2.5f, 3.5f], labels.Values);

        var e = Assert.Throws<DataInputException>(() => DataFileReference.Parse(temp.File("d.npz") + ":test").Read());
        Assert.Contains("has no array 'test'; it holds train, labels", e.Message);
        var unnamed = Assert.Throws<DataInputException>(() => DataFileReference.Parse(temp.File("d.npz")).Read());
        Assert.Contains("holds 2 arrays", unnamed.Message);
    }

    [Theory]
    [InlineData("t.csv", ",", true)]
    [InlineData("t.csv", ",", false)]
    [InlineData("t.tsv", "\t", true)]
    [InlineData("t.csv", ";", false)]
    public void Csv_RoundTrips_WithOrWithoutHeader(string name, string separator, bool header)
    {
        var lines = new List<string>();
        if (header) lines.Add(string.Join(separator, "a", "b", "c", "d"));
        for (int r = 0; r < 3; r++) lines.Add(string.Join(separator, Expected.Skip(4 * r).Take(4).Select(v => (v / 4).ToString(System.Globalization.CultureInfo.InvariantCulture))));
        File.WriteAllLines(temp.File(name), lines);

        var array = DataFileReference.Parse(temp.File(name)).Read();

        Assert.Equal([3, 4], array.Shape);
        Assert.Equal(Expected.Select(v => v / 4), array.Values);
    }

    [Fact]
    public void Csv_RaggedRow_NamesLine()
    {
        File.WriteAllText(temp.File("r.csv"), "x,y,z\n1,2,3\n4,5\n");
        var e = Assert.Throws<DataInputException>(() => CsvTable.Read(temp.File("r.csv")));
        Assert.Contains("r.csv: line 3 has 2 columns, the first row has 3", e.Message);
    }

    [Fact]
    public void Csv_NonNumericCell_NamesLineAndColumn()
    {
        File.WriteAllText(temp.File("n.csv"), "1,2,3\n4,five,6\n");
        var e = Assert.Throws<DataInputException>(() => CsvTable.Read(temp.File("n.csv")));
        Assert.Contains("n.csv: line 2, column 2: 'five' is not a number", e.Message);
    }

    [Fact]
    public void Hdf5_RoundTrips_AndAMissingPathListsWhatIsThere()
    {
        var data = new double[] { 0.5, 1.5, 2.5, 3.5, 4.5, 5.5 };
        new H5File { ["group"] = new H5Group { ["x"] = new H5Dataset(data, fileDims: [3, 2]) } }.Write(temp.File("d.h5"));

        var array = DataFileReference.Parse(temp.File("d.h5") + ":/group/x").Read();
        Assert.Equal([3, 2], array.Shape);
        Assert.Equal("float64", array.DType);
        Assert.Equal(data.Select(v => (float)v), array.Values);

        var e = Assert.Throws<DataInputException>(() => DataFileReference.Parse(temp.File("d.h5") + ":/group/y").Read());
        Assert.Contains("d.h5:/group/y: no such dataset", e.Message);
        var unnamed = Assert.Throws<DataInputException>(() => DataFileReference.Parse(temp.File("d.h5")).Read());
        Assert.Contains("name the dataset inside the HDF5 file", unnamed.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Idx_OfAnyRankAndType_RoundTrips(bool gzip)
    {
        IdxArray.WriteFloats(temp.File("a-idx4-float"), [.. Expected, .. Expected], [3, 2, 2, 2], gzip);
        var floats = DataFileReference.Parse(temp.File("a-idx4-float")).Read();
        Assert.Equal([3, 2, 2, 2], floats.Shape);
        Assert.Equal([.. Expected, .. Expected], floats.Values);

        IdxArray.WriteBytes(temp.File("b.idx"), [1, 2, 3, 250, 251, 252], [2, 3], gzip);
        var bytes = DataFileReference.Parse(temp.File("b.idx")).Read();
        Assert.Equal([2, 3], bytes.Shape);
        Assert.Equal([1f, 2, 3, 250, 251, 252], bytes.Values);
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "infinite")]
    public void NonFiniteValues_NameTheSample(float bad, string word)
    {
        var values = Expected;
        values[9] = bad;
        NpyFile.Write(temp.File("x.npy"), values, Shape);
        var e = Assert.Throws<DataInputException>(() => DataFileReference.Parse(temp.File("x.npy")).Read());
        Assert.Contains($"sample 2 has a {word} value", e.Message);
    }

    [Fact]
    public void EmptyArray_IsRefused()
    {
        NpyFile.Write(temp.File("e.npy"), Array.Empty<float>(), [0, 5]);
        var e = Assert.Throws<DataInputException>(() => DataFileReference.Parse(temp.File("e.npy")).Read());
        Assert.Contains("the array is empty", e.Message);
    }

    [Fact]
    public void MissingOrUnreadableFile_IsDataUnavailable_NotInvalidInput()
    {
        Assert.Contains("data file not found", Assert.Throws<DataException>(() => DataFileReference.Parse(temp.File("no.npy")).Read()).Message);
        Directory.CreateDirectory(temp.File("x.csv"));
        Assert.Contains("is a directory", Assert.Throws<DataException>(() => DataFileReference.Parse(temp.File("x.csv")).Read()).Message);
    }

    [Fact]
    public void UnknownExtension_IsRefused()
    {
        var e = Assert.Throws<DataInputException>(() => DataFileReference.Parse(temp.File("x.mat")));
        Assert.Contains("unknown data file type", e.Message);
    }
}
