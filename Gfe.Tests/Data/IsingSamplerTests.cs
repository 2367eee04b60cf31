using Gfe.Engine.Data.Synthetic;
using Xunit;

namespace Gfe.Tests.Data;

/// <summary>The Wolff sampler against exact enumeration of a 4 x 4 periodic lattice (65,536 states), on both sides of
/// the critical temperature, and the exact values against known limits.</summary>
public sealed class IsingSamplerTests
{
    [Theory]
    [InlineData(1.5)]
    [InlineData(2.27)]
    [InlineData(3.5)]
    public void WolffAverages_MatchExactEnumeration_On4x4(double temperature)
    {
        var (exactM, exactE) = IsingSampler.Exact(4, temperature);
        var sampler = new IsingSampler(4, seed: 11);
        sampler.Sweeps(temperature, 20);
        double m = 0, e = 0;
        const int Samples = 20_000;
        for (int i = 0; i < Samples; i++)
        {
            sampler.Step(temperature);
            var snapshot = sampler.Snapshot(temperature);
            m += Math.Abs(snapshot.Magnetisation);
            e += snapshot.EnergyPerSpin;
        }
        // Statistical errors of 20,000 correlated cluster moves are below 0.005 here; 0.015 is three of them.
        Assert.Equal(exactM, m / Samples, 0.015);
        Assert.Equal(exactE, e / Samples, 0.015);
    }

    [Fact]
    public void Exact_HasTheRightLimits()
    {
        var (coldM, coldE) = IsingSampler.Exact(4, 0.2);
        Assert.Equal(1, coldM, 1e-6);          // ordered: all up or all down
        Assert.Equal(-2, coldE, 1e-6);         // two bonds per spin, each -1
        var (hotM, hotE) = IsingSampler.Exact(2, 1e6);
        Assert.Equal(0, hotE, 1e-4);           // disordered: energy 0; <|m|> of 4 random spins is 3/8
        Assert.Equal(3 / 8.0, hotM, 1e-4);
        Assert.Equal(0.9865, IsingSampler.Onsager(1.5), 3);
        Assert.Equal(0, IsingSampler.Onsager(2.5));
    }

    [Fact]
    public void Sampler_IsDeterministicForASeed_AndStoresSpinsAs01()
    {
        var a = new IsingSampler(8, 3);
        var b = new IsingSampler(8, 3);
        a.Sweeps(2.0, 5);
        b.Sweeps(2.0, 5);
        var sa = a.Snapshot(2.0);
        Assert.Equal(sa.Spins, b.Snapshot(2.0).Spins);
        Assert.All(sa.Spins, s => Assert.True(s is 0 or 1));
        Assert.Equal(sa.Spins.Average(s => 2.0 * s - 1), sa.Magnetisation, 12);
    }
}
