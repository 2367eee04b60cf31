using System.Globalization;

namespace Gfe.Client.Results;

/// <summary>One cell of the result table: the mean test loss over the seeds of a configuration, its sample standard
/// deviation (null for a single seed) and the number of seeds n.</summary>
public sealed record PivotCell(double Mean, double? StdDev, int N)
{
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
    public override string ToString() => StdDev is { } std
        ? $"{Format(Mean)} ± {Format(std)} (n={N})"
        : $"{Format(Mean)} (n={N})";

    static string Format(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
}
