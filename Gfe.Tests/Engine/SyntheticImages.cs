using Gfe.Engine.Data;

namespace Gfe.Tests.Engine;

/// <summary>
/// Small learnable image sets built in memory: each image is one of four stroke patterns (a horizontal bar, a vertical
/// bar, a diagonal, a box) at a random offset with soft edges and a little noise, mostly dark like MNIST.
/// </summary>
public static class SyntheticImages
{
    public static ImageSet Make(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[count * ImageSet.ImageSize];
        var labels = new byte[count];
        for (int n = 0; n < count; n++)
        {
            int kind = random.Next(4);
            int dx = random.Next(-3, 4), dy = random.Next(-3, 4);
            labels[n] = (byte)kind;
            for (int r = 0; r < ImageSet.Rows; r++)
            for (int c = 0; c < ImageSet.Columns; c++)
            {
                int y = r - dy, x = c - dx;
                bool on = kind switch
                {
                    0 => Math.Abs(y - 14) <= 2 && x is >= 5 and <= 22,
                    1 => Math.Abs(x - 14) <= 2 && y is >= 5 and <= 22,
                    2 => Math.Abs(x - y) <= 2 && x is >= 4 and <= 23,
                    _ => (x is >= 7 and <= 20 && (Math.Abs(y - 7) <= 1 || Math.Abs(y - 20) <= 1)) ||
                         (y is >= 7 and <= 20 && (Math.Abs(x - 7) <= 1 || Math.Abs(x - 20) <= 1)),
                };
                float value = on ? 0.8f + 0.2f * (float)random.NextDouble() : 0.05f * (float)random.NextDouble();
                pixels[n * ImageSet.ImageSize + r * ImageSet.Columns + c] = value;
            }
        }
        return new ImageSet(pixels, labels);
    }

    public static DatasetSplits Splits(int trainCount, int testCount) =>
        new("synthetic", Make(trainCount, 1), Make(testCount, 2), "synthetic test images");
}
