using System.Diagnostics;
using Gfe.Abstractions;
using Gfe.Client.Sweeps;
using Orleans;

namespace Gfe.Client.Running;

/// <summary>
/// Re-attaches to the runs of a sweep that was submitted to a cluster earlier (by a <c>gfe sweep run</c> that has
/// since stopped waiting): reads their grains' statuses, waits for them, or cancels them, and never submits a run.
/// The runs are found by their keys, recomputed from the sweep file, so the file must be the one that was run.
/// Asking a grain whose silo died is also what moves its run to a live silo (docs/cluster.md).
/// </summary>
public sealed class SweepAttachment(IGrainFactory grains, TimeSpan pollInterval)
{
    public SweepAttachment(IGrainFactory grains) : this(grains, SweepRunner.DefaultPollInterval)
    {
    }

    /// <summary>Every run's status once; a run whose grain could not be reached keeps the status it is given in
    /// <paramref name="known"/> (NotStarted when null), and the last such error is the progress's poll error.</summary>
    public async Task<SweepProgress> PollAsync(IReadOnlyList<SweepRun> runs, TimeSpan elapsed, IReadOnlyList<RunStatus>? known = null) =>
        Progress(runs, await AskAsync(runs), elapsed, known);

    /// <summary>Each run's status, or null and why when its grain could not be reached (a silo died, the gateway is
    /// down): worth asking again.</summary>
    async Task<(RunStatus? Status, string? Error)[]> AskAsync(IReadOnlyList<SweepRun> runs) =>
        await Task.WhenAll(runs.Select(async run =>
        {
            try
            {
                return (await grains.GetGrain<IRunGrain>(run.Key).GetStatus(), (string?)null);
            }
            catch (Exception e) when (e is TimeoutException or Orleans.Runtime.OrleansException)
            {
                return ((RunStatus?)null, $"{run.Key}: {e.Message}");
            }
        }));

    static SweepProgress Progress(
        IReadOnlyList<SweepRun> runs, (RunStatus? Status, string? Error)[] answers, TimeSpan elapsed, IReadOnlyList<RunStatus>? known) =>
        new(runs.Select((run, i) => new RunRecord(run, answers[i].Status ?? known?[i] ?? RunRecord.Unsubmitted(run.Key))).ToList(),
            elapsed, answers.LastOrDefault(a => a.Error is not null).Error);

    /// <summary>
    /// Polls until every run has finished or is known never to have been submitted (nothing will ever finish it:
    /// <c>gfe sweep run</c> submits it). Cancelling stops the wait; the outcome is then marked interrupted.
    /// </summary>
    public async Task<SweepOutcome> WatchAsync(IReadOnlyList<SweepRun> runs, Action<SweepProgress>? report, CancellationToken cancel)
    {
        var startedUtc = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var answered = new bool[runs.Count];
        var progress = new SweepProgress(runs.Select(r => new RunRecord(r, RunRecord.Unsubmitted(r.Key))).ToList(), TimeSpan.Zero, null);
        bool interrupted = false;
        try
        {
            while (true)
            {
                var answers = await AskAsync(runs).WaitAsync(cancel);
                progress = Progress(runs, answers, clock.Elapsed, progress.Runs.Select(r => r.Status).ToList());
                // A run counts as answered once a poll reached its grain: an unreachable grain is not "not submitted".
                for (int i = 0; i < runs.Count; i++)
                    answered[i] |= answers[i].Status is not null;
                report?.Invoke(progress);
                if (progress.Runs.Select((r, i) => answered[i] && (r.Status.IsFinished || r.Status.State == RunState.NotStarted)).All(settled => settled))
                    break;
                await Task.Delay(pollInterval, cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            interrupted = true;
        }
        return new SweepOutcome(progress.Runs, interrupted, startedUtc, DateTime.UtcNow);
    }

    /// <summary>Cancels the search of a sweep with early stopping (its sweep grain, by the plan's key): it starts and
    /// promotes nothing more and cancels its runs in flight. Returns the search's status after.</summary>
    public Task<SweepStatus> CancelSearchAsync(string planKey) => grains.GetGrain<ISweepGrain>(planKey).Cancel();

    /// <summary>Where the search of a sweep with earlyStop is (its grain's own status; it starts nothing).</summary>
    public Task<SweepStatus> SearchStatusAsync(string planKey) => grains.GetGrain<ISweepGrain>(planKey).GetStatus();

    /// <summary>Asks every queued or running run of the sweep to stop; returns the runs it asked. Finished and
    /// never-submitted runs are left alone.</summary>
    public async Task<IReadOnlyList<RunRecord>> CancelAsync(IReadOnlyList<SweepRun> runs)
    {
        var progress = await PollAsync(runs, TimeSpan.Zero);
        var active = progress.Runs.Where(r => r.Status.State is RunState.Queued or RunState.Running).ToList();
        await Task.WhenAll(active.Select(r => grains.GetGrain<IRunGrain>(r.Run.Key).Cancel()));
        return active;
    }
}
