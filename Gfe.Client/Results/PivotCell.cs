using System.Globalization;

namespace Gfe.Client.Results;

/// <summary>One cell of the result table: the mean test loss over the seeds of a configuration, its sample standard
/// deviation (null for a single seed), the number of seeds n, and how many of those runs have warnings (e.g. they
/// diverged: <see cref="RunWarnings"/>); such a cell is marked.</summary>
public sealed record PivotCell(double Mean, double? StdDev, int N, int Warned = 0)
{
    public const string WarningMark = "⚠";

    public static PivotCell Of(IReadOnlyList<double> values, int warned = 0) => Of(values) with { Warned = warned };

    public static PivotCell Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("a cell needs at least one value", nameof(values));
        double mean = values.Average();
        double? std = values.Count < 2
            ? null
            : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new PivotCell(mean, std, values.Count);
    }

    /// <summary>As the paper prints it: "0.0812 ± 0.0011 (n=3)", or "0.0812 (n=1)" for one seed.</summary>
    public override string ToString() => (StdDev is { } std
        ? $"{Format(Mean)} ± {Format(std)} (n={N})"
        : $"{Format(Mean)} (n={N})") + (Warned > 0 ? $" {WarningMark} {Warned} diverged" : "");

    static string Format(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
}
