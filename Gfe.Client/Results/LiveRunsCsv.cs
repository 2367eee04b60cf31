using Gfe.Client.Running;

namespace Gfe.Client.Results;

/// <summary>
/// Keeps runs.csv current while a sweep runs: rewritten whenever more runs have finished (at most once per
/// <see cref="MinInterval"/>), each time to a temporary file renamed over the old one, so that a process killed at any
/// moment leaves a whole file listing what had finished. The final results overwrite it as before.
/// </summary>
public sealed class LiveRunsCsv(string path)
{
    /// <summary>Large sweeps finish many runs a second; rewriting thousands of rows on each would cost more than it
    /// saves.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    int writtenFinished = -1;
    DateTime writtenUtc = DateTime.MinValue;
    bool failed;

    public void Report(SweepProgress progress)
    {
        if (failed) return;
        int finished = progress.Runs.Count(r => r.Status.IsFinished);
        if (finished == writtenFinished || DateTime.UtcNow - writtenUtc < MinInterval) return;
        try
        {
            ResultsWriter.WriteRuns(path, progress.Runs);
            writtenFinished = finished;
            writtenUtc = DateTime.UtcNow;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The final write reports the problem; trying again every poll would only slow the sweep.
            failed = true;
        }
    }
}
