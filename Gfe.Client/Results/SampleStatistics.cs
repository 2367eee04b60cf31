using MathNet.Numerics.Distributions;

namespace Gfe.Client.Results;

/// <summary>The summary of a sample of replicate values: n, mean, sample standard deviation, and the half-width of
/// the two-sided 95 % confidence interval of the mean (Student t with n - 1 degrees of freedom; none for n = 1).</summary>
public sealed record SampleSummary(int N, double Mean, double? StdDev, double? HalfWidth95)
{
    public double? Low95 => Mean - HalfWidth95;

    public double? High95 => Mean + HalfWidth95;

    /// <summary>e.g. "0.0812 ± 0.0031 (n=3)"; one value prints "0.0812 (n=1)".</summary>
    public string Text(string format = "F4") =>
        HalfWidth95 is { } h
            ? $"{Mean.ToString(format, System.Globalization.CultureInfo.InvariantCulture)} ± {h.ToString(format, System.Globalization.CultureInfo.InvariantCulture)} (n={N})"
            : $"{Mean.ToString(format, System.Globalization.CultureInfo.InvariantCulture)} (n={N})";
}

/// <summary>The result of a paired test on differences d_i = a_i - b_i.</summary>
/// <param name="TStatistic">mean(d) / (sd(d) / sqrt(n)); null when n &lt; 2 or all differences are equal.</param>
/// <param name="TPValue">two-sided p of the paired t test (n - 1 degrees of freedom).</param>
/// <param name="WPlus">Wilcoxon's W+: the sum of the ranks of |d_i| over the positive d_i (zeros dropped, ties
/// given their mean rank).</param>
/// <param name="WilcoxonPValue">two-sided p of the Wilcoxon signed-rank test: exact (every sign pattern, so also
/// with ties) up to 20 non-zero differences, the normal approximation above.</param>
public sealed record PairedTest(SampleSummary Difference, double? TStatistic, double? TPValue, double WPlus, int WilcoxonN, double? WilcoxonPValue);

/// <summary>Means, confidence intervals and paired tests for the report; Student t from MathNet.Numerics.</summary>
public static class SampleStatistics
{
    const int ExactWilcoxonLimit = 20;

    public static SampleSummary Summarize(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("no values to summarize", nameof(values));
        int n = values.Count;
        double mean = values.Average();
        if (n == 1) return new SampleSummary(1, mean, null, null);
        double std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        return new SampleSummary(n, mean, std, StudentT.InvCDF(0, 1, n - 1, 0.975) * std / Math.Sqrt(n));
    }

    /// <summary>The paired comparison of a against b (same replicate at the same index): the differences a - b,
    /// the paired t test and the Wilcoxon signed-rank test.</summary>
    public static PairedTest Paired(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException("paired samples must have the same length");
        var d = a.Zip(b, (x, y) => x - y).ToList();
        var summary = Summarize(d);
        double? t = null, p = null;
        if (summary.StdDev is > 0 and var sd)
        {
            t = summary.Mean / (sd / Math.Sqrt(d.Count));
            p = 2 * StudentT.CDF(0, 1, d.Count - 1, -Math.Abs(t.Value));
        }
        var (wPlus, wN, wP) = WilcoxonSignedRank(d);
        return new PairedTest(summary, t, p, wPlus, wN, wP);
    }

    /// <summary>W+, the number of non-zero differences, and the two-sided p-value (null when none is non-zero).</summary>
    public static (double WPlus, int N, double? P) WilcoxonSignedRank(IReadOnlyList<double> differences)
    {
        var nonZero = differences.Where(x => x != 0).ToList();
        int n = nonZero.Count;
        if (n == 0) return (0, 0, null);
        var ranks = MidRanks(nonZero.Select(Math.Abs).ToList());
        double wPlus = nonZero.Select((x, i) => x > 0 ? ranks[i] : 0).Sum();
        double total = ranks.Sum(), expected = total / 2;
        double deviation = Math.Abs(wPlus - expected);

        if (n <= ExactWilcoxonLimit)
        {
            // Under the null every sign pattern is equally likely: count those at least as far from the middle.
            long extreme = 0, patterns = 1L << n;
            for (long pattern = 0; pattern < patterns; pattern++)
            {
                double w = 0;
                for (int i = 0; i < n; i++)
                    if ((pattern & (1L << i)) != 0) w += ranks[i];
                if (Math.Abs(w - expected) >= deviation - 1e-9) extreme++;
            }
            return (wPlus, n, (double)extreme / patterns);
        }
        // Normal approximation with the tie correction of the variance.
        double variance = ranks.Sum(r => r * r) / 4;
        double z = (deviation - 0.5) / Math.Sqrt(variance);
        return (wPlus, n, Math.Min(1, 2 * (1 - Normal.CDF(0, 1, Math.Max(0, z)))));
    }

    /// <summary>Ranks 1..n of the values, tied values sharing their mean rank.</summary>
    static double[] MidRanks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            double rank = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++) ranks[order[k]] = rank;
            start = end + 1;
        }
        return ranks;
    }
}
