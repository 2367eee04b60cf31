using Gfe.Engine.Solvers;
using Xunit;

namespace Gfe.Tests.Engine;

public class MeanSlopeTests
{
    [Theory]
    [InlineData(new double[] { 0, 1, 4, 9, 16 }, 4.0)]          // numpy.gradient: [1, 2, 4, 6, 7]
    [InlineData(new double[] { 0, 1, 4 }, 2.0)]                 // [1, 2, 3]
    [InlineData(new double[] { 3, 5 }, 2.0)]                    // [2, 2]
    [InlineData(new double[] { 2, 2, 2, 2, 2, 2 }, 0.0)]
    [InlineData(new double[] { 1, 0.5, 0.25, 0.125 }, -0.296875)] // [-0.5, -0.375, -0.1875, -0.125]
    public void MatchesMeanOfNumpyGradient(double[] values, double expected)
    {
        Assert.Equal(expected, AmdSolver.MeanSlope(values), 1e-12);
    }

    [Fact]
    public void LinearSequencesGiveTheirSlope()
    {
        var values = Enumerable.Range(0, 7).Select(k => 0.5 - 0.01 * k).ToArray();
        Assert.Equal(-0.01, AmdSolver.MeanSlope(values), 1e-12);
    }

    [Fact]
    public void WindowOfFiveIsTheReferenceFormula()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            var l = Enumerable.Range(0, 5).Select(_ => random.NextDouble()).ToArray();
            Assert.Equal(0.3 * (l[4] - l[0]) + 0.1 * (l[1] - l[3]), AmdSolver.MeanSlope(l), 1e-12);
        }
    }

    [Fact]
    public void NeedsTwoValues() => Assert.Throws<ArgumentException>(() => AmdSolver.MeanSlope([1.0]));
}
