using Gfe.Client.Results;
using Gfe.Engine.Data.Files;
using Xunit;

namespace Gfe.Tests.Client;

public sealed class LatentAnalysisTests
{
    static SampleArray Latents(double[,] z) =>
        new(Enumerable.Range(0, z.GetLength(0)).SelectMany(i => Enumerable.Range(0, z.GetLength(1)).Select(k => (float)z[i, k])).ToArray(),
            [z.GetLength(0), z.GetLength(1)], "float32", "test");

    [Fact]
    public void ALabelThatIsALinearFunctionOfTheCodes_HasCorrelationOne_AndNoiseLittle()
    {
        var random = new Random(1);
        int m = 400;
        var z = new double[m, 5];
        for (int i = 0; i < m; i++) for (int k = 0; k < 5; k++) z[i, k] = random.NextDouble() * 2 - 1;
        var linear = Enumerable.Range(0, m).Select(i => 3 * z[i, 1] - 2 * z[i, 4] + 0.5).ToArray();
        Assert.Equal(1, LatentAnalysis.FitCorrelation(Latents(z), linear), 6);

        // |y| of a symmetric label is not linear in the codes: the fit finds (almost) nothing.
        var symmetric = Enumerable.Range(0, m).Select(i => Math.Abs(z[i, 2])).ToArray();
        Assert.True(LatentAnalysis.FitCorrelation(Latents(z), symmetric) < 0.25);
        var noise = Enumerable.Range(0, m).Select(_ => random.NextDouble()).ToArray();
        Assert.True(LatentAnalysis.FitCorrelation(Latents(z), noise) < 0.25);
    }
}
