using System.Globalization;
using Gfe.Abstractions;

namespace Gfe.Client.Results;

/// <summary>
/// What is suspect about a completed run although it did not fail: today, divergence short of NaN. A run whose loss
/// ends far above where it started learned nothing useful (e.g. gfe-amd at lr 1e6 ends with a test loss of 2.6
/// against 0.29 at the default), yet it completes and would enter the table unflagged. The warnings go into the
/// <c>warnings</c> column of runs.csv, and the table marks every cell that averages a warned run.
/// </summary>
public static class RunWarnings
{
    /// <summary>"Far above": a loss this many times the first train loss. Training lowers the loss well below
    /// its start within the first epoch, and batch noise stays far below 50 %.</summary>
    public const double DivergenceFactor = 1.5;

    /// <summary>The warnings of a run as one cell ("" when none), "; " between several.</summary>
    public static string For(RunOutcome? outcome)
    {
        if (outcome is null || outcome.Curve.Count == 0) return "";
        var warnings = new List<string>();
        double first = outcome.Curve[0].TrainLoss;
        // One point means nothing trained after the first measurement: nothing to compare.
        if (outcome.Curve.Count > 1 && double.IsFinite(first) && first > 0)
        {
            Check("final train loss", outcome.FinalTrainLoss);
            foreach (var (evaluation, loss) in outcome.TestLoss.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                Check($"test loss {evaluation}", loss);
        }
        return string.Join("; ", warnings);

        void Check(string what, double loss)
        {
            if (!double.IsFinite(loss))
                warnings.Add($"diverged: {what} is {F(loss)}");
            else if (loss > DivergenceFactor * first)
                warnings.Add($"diverged: {what} {F(loss)} is {(loss / first).ToString("0.0", CultureInfo.InvariantCulture)}x the first train loss {F(first)}");
        }
    }

    static string F(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
