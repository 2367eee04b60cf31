using System.Diagnostics;
using Gfe.Abstractions;
using Gfe.Client.Sweeps;
using Orleans;
using Orleans.Runtime;

namespace Gfe.Client.Running;

/// <summary>
/// Drives a sweep on a cluster: submits every run to its run grain (keyed by the run key, so a run already done or
/// under way is reused), then polls the grains until every run has finished or the caller stops waiting. Polling is
/// the source of truth: a grain that reports NotStarted (e.g. its silo died and its state was lost) is submitted
/// again, which is safe because Start is idempotent.
/// </summary>
public sealed class SweepRunner(IGrainFactory grains, TimeSpan pollInterval)
{
    public static TimeSpan DefaultPollInterval { get; } = TimeSpan.FromSeconds(0.5);

    /// <summary>A grain that rejects a spec this many times (not counting lost connections) fails the run.</summary>
    const int MaxRejections = 3;

    /// <summary>Submissions in flight at once. All at once, thousands of them (each activates a grain, reads and
    /// writes its record and queues the run) would finish together, late and in random order; a window queues the
    /// first runs of the sweep first and soon, so the cluster's slots fill while the rest is still being submitted.</summary>
    const int SubmissionWindow = 32;

    public SweepRunner(IGrainFactory grains) : this(grains, DefaultPollInterval)
    {
    }

    /// <summary>With early stopping: the plan handed to the sweep grain, which then decides which run trains to
    /// which rung; the runner only starts (or attaches to) the sweep grain and polls the runs until it is done.</summary>
    public SweepPlan? EarlyStop { get; init; }

    /// <summary>The sweep's budget; runs past it are not started (<see cref="BudgetGate"/>).</summary>
    public SweepBudget Budget { get; init; } = SweepBudget.None;

    /// <summary>
    /// Runs the sweep; <paramref name="report"/> sees the state after each poll. Cancelling stops the wait, not the
    /// runs (they carry on in the cluster and a later sweep with the same file picks up their results); the outcome
    /// then holds the last known statuses and is marked interrupted.
    /// </summary>
    public async Task<SweepOutcome> RunAsync(IReadOnlyList<SweepRun> runs, Action<SweepProgress>? report, CancellationToken cancel)
    {
        if (EarlyStop is { } plan) return await RunEarlyStoppedAsync(runs, plan, report, cancel);
        var startedUtc = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var statuses = runs.Select(r => RunRecord.Unsubmitted(r.Key)).ToArray();
        var rejections = new int[runs.Count];
        var budget = new BudgetGate(Budget);
        var overBudget = new bool[runs.Count];
        // Admitted once: a run resubmitted after its silo lost it does not count against the budget again.
        var submitted = new bool[runs.Count];
        using var submitting = new SemaphoreSlim(SubmissionWindow);
        string? pollError = null;
        bool interrupted = false;

        SweepProgress Snapshot() =>
            new(runs.Select((run, i) => new RunRecord(run, statuses[i])).ToList(), clock.Elapsed, pollError);

        try
        {
            report?.Invoke(Snapshot());
            while (true)
            {
                var pending = Enumerable.Range(0, runs.Count).Where(i => !statuses[i].IsFinished && !overBudget[i]).ToList();
                if (pending.Count == 0) break;
                var errors = await Task.WhenAll(pending.Select(i => PollAsync(runs[i], i))).WaitAsync(cancel);
                pollError = errors.LastOrDefault(e => e is not null);
                report?.Invoke(Snapshot());
                if (statuses.Select((s, i) => s.IsFinished || overBudget[i]).All(done => done)) break;
                await Task.Delay(pollInterval, cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            interrupted = true;
        }

        return new SweepOutcome(Snapshot().Runs, interrupted, startedUtc, DateTime.UtcNow);

        // Returns the error of talking to the grain, if any; the run keeps its last known status then.
        async Task<string?> PollAsync(SweepRun run, int i)
        {
            try
            {
                var grain = grains.GetGrain<IRunGrain>(run.Key);
                if (statuses[i].State == RunState.NotStarted && !submitted[i] && budget.Admit(run) is { } notStarted)
                {
                    overBudget[i] = true;
                    statuses[i] = statuses[i] with { Phase = BudgetGate.Phase, Error = notStarted };
                    return null;
                }
                if (statuses[i].State == RunState.NotStarted)
                {
                    submitted[i] = true;
                    // Its status comes with the next poll: a sweep's first poll submits every run, and halving
                    // that burst lets the first runs start sooner.
                    await submitting.WaitAsync(cancel);
                    try { await grain.Start(run.Spec); }
                    finally { submitting.Release(); }
                    statuses[i] = statuses[i] with { State = RunState.Queued };
                    return null;
                }
                statuses[i] = await grain.GetStatus();
                return null;
            }
            catch (Exception e) when (IsLostConnection(e))
            {
                return $"{run.Key}: {e.Message}";
            }
            catch (Exception e)
            {
                if (++rejections[i] >= MaxRejections)
                    statuses[i] = statuses[i] with { State = RunState.Failed, Error = $"the cluster rejected the run: {e.Message}" };
                return $"{run.Key}: {e.Message}";
            }
        }
    }

    /// <summary>
    /// A sweep with early stopping: the sweep grain starts the runs (this runner submits none); the runner starts or
    /// attaches to the grain and polls every run (stopped ones may be promoted later) until the grain says the search
    /// is done, and then reports once more, so that the last statuses are the final ones. Cancelling detaches.
    /// </summary>
    async Task<SweepOutcome> RunEarlyStoppedAsync(IReadOnlyList<SweepRun> runs, SweepPlan plan, Action<SweepProgress>? report, CancellationToken cancel)
    {
        var startedUtc = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var statuses = runs.Select(r => RunRecord.Unsubmitted(r.Key)).ToArray();
        string? pollError = null;
        bool interrupted = false;

        SweepProgress Snapshot() =>
            new(runs.Select((run, i) => new RunRecord(run, statuses[i])).ToList(), clock.Elapsed, pollError);

        try
        {
            report?.Invoke(Snapshot());
            var sweepGrain = grains.GetGrain<ISweepGrain>(plan.Key);
            while (true)
            {
                try { await sweepGrain.Start(plan).WaitAsync(cancel); break; }
                catch (Exception e) when (IsLostConnection(e))
                {
                    pollError = e.Message;
                    await Task.Delay(pollInterval, cancel);
                }
            }
            while (true)
            {
                bool done = false;
                pollError = null;
                try { done = (await sweepGrain.GetStatus().WaitAsync(cancel)).Done; }
                catch (Exception e) when (IsLostConnection(e)) { pollError = e.Message; }
                var errors = await Task.WhenAll(Enumerable.Range(0, runs.Count).Select(async i =>
                {
                    try { statuses[i] = await grains.GetGrain<IRunGrain>(runs[i].Key).GetStatus(); return null; }
                    catch (Exception e) when (IsLostConnection(e)) { return $"{runs[i].Key}: {e.Message}"; }
                })).WaitAsync(cancel);
                pollError = errors.LastOrDefault(e => e is not null) ?? pollError;
                report?.Invoke(Snapshot());
                if (done) break;
                await Task.Delay(pollInterval, cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            interrupted = true;
        }
        return new SweepOutcome(Snapshot().Runs, interrupted, startedUtc, DateTime.UtcNow);
    }

    /// <summary>Timeouts and Orleans runtime errors mean the cluster could not be reached (a silo died, the gateway
    /// is down): worth retrying. Anything else came from the grain itself.</summary>
    static bool IsLostConnection(Exception e) => e is TimeoutException or OrleansException;
}
