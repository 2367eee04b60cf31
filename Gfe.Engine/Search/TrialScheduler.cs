namespace Gfe.Engine.Search;

/// <summary>One trial of a search as the scheduler sees it: its name, how many replicate runs it has, and its rungs
/// in training images (the last one the end of training).</summary>
public sealed record TrialShape(string Name, int Replicates, IReadOnlyList<long> Rungs);

/// <summary>What a search's scheduler keeps between its passes (a sweep grain stores it): the trials training now
/// with the rung each trains to, the trials that failed, the next new trial, what the budget has paid, and the log
/// of its decisions.</summary>
public interface ITrialLedger
{
    IDictionary<string, int> Training { get; }

    ISet<string> Failed { get; }

    int NextTrial { get; set; }

    long ImagesCommitted { get; set; }

    int RunsStarted { get; set; }

    /// <summary>Why the scheduling ended for the budget; null while it has not.</summary>
    string? BudgetReached { get; set; }

    /// <summary>When the search began; <c>maxHours</c> counts from here.</summary>
    DateTime? StartedUtc { get; }

    /// <summary>Appends a promotion from <paramref name="fromRung"/> to the decision log, in the order taken.</summary>
    void LogPromotion(string trial, int fromRung);
}

/// <summary>
/// Fills a search's free places, as ASHA does: the next promotion <see cref="EarlyStopper"/> allows, else the next
/// new trial, while fewer than <c>trialsAtOnce</c> train. Each start and promotion is paid from the budget first
/// (<see cref="SearchBudget"/>: the replicates' images to the rung, the runs a new trial starts, the hours since the
/// search began); the first one it cannot pay ends the scheduling for good, and the ledger keeps why. A promotion
/// from a trial's last rung (the trial is complete) or of a failed trial is logged but trains nothing. Plain and
/// deterministic: the sweep grain only stores the ledger and submits what this decides.
/// </summary>
public static class TrialScheduler
{
    /// <summary>Returns the trials to train now with the rung each trains to, and whether the ledger changed.</summary>
    public static (IReadOnlyList<(string Trial, int Rung)> Started, bool Changed) Fill(
        ITrialLedger ledger, EarlyStopper stopper, IReadOnlyList<TrialShape> trials, int trialsAtOnce, SearchBudget budget, DateTime nowUtc)
    {
        var byName = trials.ToDictionary(t => t.Name, StringComparer.Ordinal);
        int lastRung = trials.Max(t => t.Rungs.Count);
        var started = new List<(string, int)>();
        bool changed = false;
        while (ledger.Training.Count < trialsAtOnce && ledger.BudgetReached is null)
        {
            if (stopper.PeekPromotion(lastRung) is { } promotion)
            {
                var trial = byName[promotion.Configuration];
                bool trains = promotion.FromRung < trial.Rungs.Count && !ledger.Failed.Contains(trial.Name);
                if (trains && !Pay(trial, promotion.FromRung + 1, newRuns: 0)) break;
                stopper.NextPromotion(lastRung);
                ledger.LogPromotion(trial.Name, promotion.FromRung);
                changed = true;
                if (!trains) continue;
                ledger.Training[trial.Name] = promotion.FromRung + 1;
                started.Add((trial.Name, promotion.FromRung + 1));
            }
            else if (ledger.NextTrial < trials.Count)
            {
                var next = trials[ledger.NextTrial];
                if (!Pay(next, 1, newRuns: next.Replicates)) break;
                ledger.NextTrial++;
                ledger.Training[next.Name] = 1;
                started.Add((next.Name, 1));
                changed = true;
            }
            else break;
        }
        return (started, changed);

        bool Pay(TrialShape trial, int rung, int newRuns)
        {
            long images = EarlyStopper.SegmentImages(trial.Rungs, rung) * trial.Replicates;
            var elapsed = nowUtc - (ledger.StartedUtc ?? nowUtc);
            if (budget.Refusal(elapsed, ledger.RunsStarted, ledger.ImagesCommitted, newRuns, images) is { } refused)
            {
                ledger.BudgetReached = refused;
                changed = true;
                return false;
            }
            ledger.ImagesCommitted += images;
            ledger.RunsStarted += newRuns;
            return true;
        }
    }
}
