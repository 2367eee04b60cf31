using System.Globalization;

namespace Gfe.Engine.Search;

/// <summary>
/// A sweep's budget (<c>budget:</c> in the sweep file) as the check both schedulers apply before they start training:
/// the client's for a sweep without early stopping (whole runs), and the sweep grain's for one with it (a trial's
/// replicates to their next rung, promotions included). Null limits do not apply. Plain data, so that the grain can
/// keep it in its plan.
/// </summary>
/// <param name="MaxRuns">runs started at most (a run continued after a rung counts once)</param>
/// <param name="MaxHours">hours since the sweep began, after which nothing more starts</param>
/// <param name="MaxTrainImages">training images committed at most, summed over every run and segment started</param>
public sealed record SearchBudget(int? MaxRuns, double? MaxHours, long? MaxTrainImages)
{
    public static SearchBudget None { get; } = new(null, null, null);

    /// <summary>
    /// Null when starting <paramref name="runs"/> more runs that train <paramref name="images"/> more images may go
    /// ahead, after <paramref name="elapsed"/> of the sweep, <paramref name="runsStarted"/> runs and
    /// <paramref name="imagesCommitted"/> images so far; else why not, as runs.csv records it
    /// (<c>not started: budget.maxHours (2 h) reached</c>).
    /// </summary>
    public string? Refusal(TimeSpan elapsed, int runsStarted, long imagesCommitted, int runs, long images)
    {
        if (MaxHours is { } hours && elapsed.TotalHours >= hours)
            return string.Create(CultureInfo.InvariantCulture, $"not started: budget.maxHours ({hours} h) reached");
        if (MaxRuns is { } maxRuns && runsStarted + runs > maxRuns)
            return string.Create(CultureInfo.InvariantCulture, $"not started: budget.maxRuns ({maxRuns}) reached with {runsStarted} runs started");
        if (MaxTrainImages is { } max && imagesCommitted + images > max)
            return string.Create(CultureInfo.InvariantCulture, $"not started: budget.maxTrainImages ({max}) reached with {imagesCommitted} images committed");
        return null;
    }
}
