using Gfe.Engine.Runs;

namespace Gfe.Client.Results;

/// <summary>
/// What early stopping saved: the training images the runs spent (a stopped run's images at its rung, a completed
/// run's whole training) against training every run in full (train size x epochs each), and how many runs stopped.
/// </summary>
public sealed record EarlyStopSavings(int Runs, int Stopped, long ImagesSpent, long ImagesFull)
{
    public const string StoppedState = "stopped";

    public double Fraction => ImagesFull == 0 ? 0 : (double)ImagesSpent / ImagesFull;

    /// <summary>Null when no run stopped early (or a row lacks its images seen, as in runs.csv of an older gfe).</summary>
    public static EarlyStopSavings? Of(IEnumerable<RunRow> runs)
    {
        var rows = runs.ToList();
        int stopped = rows.Count(r => r.State == StoppedState);
        if (stopped == 0) return null;
        long spent = 0, full = 0;
        foreach (var row in rows)
        {
            if (row.ImagesSeen is not { } images) return null;
            RunConfig config;
            try { config = RunParameters.FromDictionary(row.Settings); }
            catch (RunConfigException) { return null; }
            spent += images;
            full += SimulatedObjective.TrainImages(config);
        }
        return new EarlyStopSavings(rows.Count, stopped, spent, full);
    }
}
