using System.Diagnostics;
using Gfe.Client.Sweeps;
using Gfe.Engine.Data;
using Gfe.Engine.Search;

namespace Gfe.Client.Running;

/// <summary>
/// The runtime part of a sweep's budget (<c>budget:</c> in the sweep file) for a sweep without early stopping: the
/// sweep stops starting runs once <c>maxHours</c> have passed since it began, or once starting the next run would
/// commit more than <c>maxTrainImages</c> training images (trainSize x epochs of every run started); the check is
/// <see cref="SearchBudget.Refusal"/>, the same the sweep grain applies with early stopping. Runs not started for the
/// budget keep the state NotStarted with the phase <see cref="Phase"/> and the reason as their error; they are not
/// failures. (<c>maxRuns</c> is checked when the file is read: a sweep larger than it does not start.)
/// </summary>
public sealed class BudgetGate(SweepBudget budget)
{
    public const string Phase = "budget";

    readonly SearchBudget limits = budget.Limits;
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly Lock gate = new();
    long committedImages;
    int started;

    /// <summary>
    /// Why runs still waiting in the cluster's queue must not start any more (<c>maxHours</c> has passed), else null.
    /// Runs are submitted ahead of the free slots, so a check at submission alone would let the queue outlive the
    /// limit; the runner withdraws the waiting ones when this says so.
    /// </summary>
    public string? TimeUp() => limits.Refusal(clock.Elapsed, 0, 0, 0, 0);

    /// <summary>Null when the run may start (and its images are then committed), else why not.</summary>
    public string? Admit(SweepRun run)
    {
        lock (gate)
        {
            long images = (long)(run.Config.TrainSize == 0 ? DatasetCatalog.Find(run.Config.Dataset)?.TrainCount ?? 0 : run.Config.TrainSize) * run.Config.Epochs;
            if (limits.Refusal(clock.Elapsed, started, committedImages, 1, images) is { } refused) return refused;
            committedImages += images;
            started++;
            return null;
        }
    }
}
