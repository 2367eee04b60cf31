using System.Globalization;

namespace Gfe.Client.Sweeps;

/// <summary>
/// A grid axis written as a distribution (<c>{uniform: [a, b]}</c>, <c>{loguniform: [a, b]}</c>, <c>{int: [a, b]}</c>,
/// <c>{choice: [...]}</c>): a sampled search maps a number u in [0, 1) to one value, as the canonical text the settings
/// table parses. Mapping a given u (rather than drawing inside) lets random and Sobol samplers share the distributions.
/// </summary>
public abstract record Distribution
{
    public abstract string At(double u);

    /// <summary>Reals are written with 6 significant digits: readable in run keys and tables, and far finer than any
    /// search resolves.</summary>
    protected static string Real(double x) => x.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>Uniform on [Low, High].</summary>
public sealed record UniformDistribution(double Low, double High) : Distribution
{
    public override string At(double u) => Real(Low + u * (High - Low));
}

/// <summary>Log-uniform on [Low, High] (both positive): uniform in log(x).</summary>
public sealed record LogUniformDistribution(double Low, double High) : Distribution
{
    public override string At(double u) => Real(Math.Exp(Math.Log(Low) + u * (Math.Log(High) - Math.Log(Low))));
}

/// <summary>A whole number from Low to High, both included, each equally likely.</summary>
public sealed record IntDistribution(long Low, long High) : Distribution
{
    public override string At(double u) =>
        Math.Min(High, Low + (long)Math.Floor(u * (High - Low + 1))).ToString(CultureInfo.InvariantCulture);
}

/// <summary>One of the written values, each equally likely.</summary>
public sealed record ChoiceDistribution(IReadOnlyList<string> Values) : Distribution
{
    public override string At(double u) => Values[Math.Min(Values.Count - 1, (int)Math.Floor(u * Values.Count))];
}
