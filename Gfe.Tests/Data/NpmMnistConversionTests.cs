using System.Globalization;
using Gfe.Engine.Data;
using Xunit;

namespace Gfe.Tests.Data;

public sealed class NpmMnistConversionTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    // Digit d has 5 + d images (5..14); image k of digit d has every value round((20 d + k) / 255, 3), as the package
    // rounds byte/255 to 3 decimals.
    private string FakePackage()
    {
        var digits = Path.Combine(temp.Path, "package", "src", "digits");
        Directory.CreateDirectory(digits);
        for (int d = 0; d < 10; d++)
        {
            var values = Enumerable.Range(0, 5 + d).SelectMany(k =>
                Enumerable.Repeat(Math.Round((20 * d + k) / 255.0, 3).ToString(CultureInfo.InvariantCulture), ImageSet.ImageSize));
            File.WriteAllText(Path.Combine(digits, $"{d}.json"), "{ \"data\": [" + string.Join(",", values) + "] }");
        }
        return Path.Combine(temp.Path, "package");
    }

    [Fact]
    public void PerDigit_First80PercentTrain_RestTest_InterleavedByDigit()
    {
        var target = Directory.CreateDirectory(temp.File("idx")).FullName;

        var (train, test) = NpmMnistConversion.Convert(FakePackage(), target);

        int[] trainPerDigit = Enumerable.Range(0, 10).Select(d => (5 + d) * 8 / 10).ToArray(); // 4,4,5,6,7,8,8,9,10,11
        Assert.Equal(trainPerDigit.Sum(), train);
        Assert.Equal(Enumerable.Range(0, 10).Sum(d => 5 + d) - train, test);

        var layout = DatasetLayout.TryLocate(target, out _)!;
        var trainSet = IdxFile.ReadImageSet(layout.TrainImages, layout.TrainLabels);
        var testSet = IdxFile.ReadImageSet(layout.TestImages, layout.TestLabels);
        Assert.Equal(train, trainSet.Count);
        Assert.Equal(test, testSet.Count);

        // Round 0 takes image 0 of every digit, round 1 image 1, ...; digits 0 and 1 run out after 4 training images.
        Assert.Equal(Enumerable.Range(0, 10).Select(d => (byte)d), trainSet.Labels[..10]);
        Assert.Equal(ExpectedOrder(d => 0, d => trainPerDigit[d]), Decode(trainSet));
        Assert.Equal([(8, 9), (9, 9), (9, 10)], Decode(trainSet)[^3..]);
        Assert.Equal([(0, 4), (1, 4), (2, 5)], Decode(testSet)[..3]);
        Assert.Equal(ExpectedOrder(d => trainPerDigit[d], d => 5 + d), Decode(testSet));
    }

    [Fact]
    public void Bytes_AreRecoveredExactlyFromThreeDecimals()
    {
        var target = Directory.CreateDirectory(temp.File("idx")).FullName;
        NpmMnistConversion.Convert(FakePackage(), target);
        var layout = DatasetLayout.TryLocate(target, out _)!;

        var set = IdxFile.ReadImageSet(layout.TrainImages, layout.TrainLabels);

        // Digit 9, image 3 is byte 183 in every pixel.
        int index = Decode(set).IndexOf((9, 3));
        Assert.All(set.Pixels.Skip(index * ImageSet.ImageSize).Take(ImageSet.ImageSize), v => Assert.Equal(183 / 255f, v));
    }

    [Fact]
    public void ValuesNotWholeImages_NameTheFile()
    {
        var package = FakePackage();
        var path = Path.Combine(package, "src", "digits", "4.json");
        File.WriteAllText(path, "{ \"data\": [0, 0.5, 1] }");

        var e = Assert.Throws<DataException>(() => NpmMnistConversion.Convert(package, temp.Path));

        Assert.Contains(path, e.Message);
        Assert.Contains("3 values", e.Message);
    }

    [Fact]
    public void BrokenJson_NamesTheFile()
    {
        var package = FakePackage();
        var path = Path.Combine(package, "src", "digits", "7.json");
        File.WriteAllText(path, "{ \"data\": [0, 0.5,");

        var e = Assert.Throws<DataException>(() => NpmMnistConversion.Convert(package, temp.Path));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void MissingDigitFile_NamesTheFile()
    {
        var package = FakePackage();
        var path = Path.Combine(package, "src", "digits", "0.json");
        File.Delete(path);

        var e = Assert.Throws<DataException>(() => NpmMnistConversion.Convert(package, temp.Path));

        Assert.Contains(path, e.Message);
    }

    private static List<(int Digit, int Index)> Decode(ImageSet set) =>
        Enumerable.Range(0, set.Count).Select(i =>
        {
            int value = (int)MathF.Round(set.Pixels[i * ImageSet.ImageSize] * 255f);
            Assert.Equal(value / 20, set.Labels[i]);
            return (value / 20, value % 20);
        }).ToList();

    private static List<(int Digit, int Index)> ExpectedOrder(Func<int, int> from, Func<int, int> to)
    {
        var order = new List<(int, int)>();
        for (int round = 0; round < 20; round++)
            for (int d = 0; d < 10; d++)
                if (from(d) + round < to(d)) order.Add((d, from(d) + round));
        return order;
    }
}
