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

    /// <summary>Queued runs asked every poll round (the oldest); the rest of the queue is asked in turns of this many.</summary>
    const int QueuedPolledPerRound = 256;

    public SweepRunner(IGrainFactory grains) : this(grains, DefaultPollInterval)
    {
    }

    /// <summary>With early stopping: the plan handed to the sweep grain, which then decides which run trains to
    /// which rung; the runner only starts (or attaches to) the sweep grain and polls the runs until it is done.</summary>
    public SweepPlan? EarlyStop { get; init; }

    /// <summary>With <see cref="EarlyStop"/>: a search that was cancelled starts afresh instead of reporting so.</summary>
    public bool RestartSearch { get; init; }

    /// <summary>The sweep's budget; runs past it are not started (<see cref="BudgetGate"/>; with early stopping the
    /// sweep grain applies it, as the plan carries it).</summary>
    public SweepBudget Budget { get; init; } = SweepBudget.None;

    /// <summary>The longest the caller waits for news: a poll round over thousands of runs may take longer than
    /// this, and the progress display must not freeze meanwhile.</summary>
    public static TimeSpan ReportInterval { get; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs the sweep; <paramref name="report"/> sees the state after each poll, and at least every
    /// <see cref="ReportInterval"/> (always from this method's own flow, one call at a time). Runs are submitted in
    /// the sweep's order in the background while the submitted ones are polled, so progress shows from the start
    /// however long submitting takes. Cancelling stops the wait, not the runs (they carry on in the cluster and a
    /// later sweep with the same file picks up their results); the outcome then holds the last known statuses and
    /// is marked interrupted.
    /// </summary>
    public async Task<SweepOutcome> RunAsync(IReadOnlyList<SweepRun> runs, Action<SweepProgress>? report, CancellationToken cancel)
    {
        if (EarlyStop is { } plan) return await RunEarlyStoppedAsync(runs, plan, report, cancel);
        var startedUtc = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var statuses = runs.Select(r => RunRecord.Unsubmitted(r.Key)).ToArray();
        // Per run: NotSubmitted, Submitting (a Start is under way) or Submitted (its grain accepted it and has not
        // reported NotStarted since); and how far the in-order submitter has come.
        var phase = new Phase[runs.Count];
        var rejections = new int[runs.Count];
        int submitterPassed = 0, rounds = 0, queuedLastRound = 0;
        var budget = new BudgetGate(Budget);
        // Admitted once: a run submitted again after its silo lost it does not count against the budget again.
        var admitted = new bool[runs.Count];
        var overBudget = new bool[runs.Count];
        using var window = new SemaphoreSlim(SubmissionWindow);
        string? pollError = null;
        bool interrupted = false;

        SweepProgress Snapshot() =>
            new(runs.Select((run, i) => new RunRecord(run, statuses[i])).ToList(), clock.Elapsed, pollError);

        var submitter = SubmitInOrderAsync();
        try
        {
            report?.Invoke(Snapshot());
            while (true)
            {
                var round = PollRoundAsync();
                while (!round.IsCompleted)
                {
                    await Task.WhenAny(round, Task.Delay(ReportInterval, cancel));
                    cancel.ThrowIfCancellationRequested();
                    if (!round.IsCompleted) report?.Invoke(Snapshot());
                }
                pollError = await round;
                if (budget.TimeUp() is { } timeUp) await WithdrawWaitingAsync(timeUp);
                report?.Invoke(Snapshot());
                if (submitter.IsCompleted && statuses.Select((s, i) => s.IsFinished || overBudget[i]).All(done => done)) break;
                await Task.Delay(pollInterval, cancel);
            }
            await submitter;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            interrupted = true;
        }

        return new SweepOutcome(Snapshot().Runs, interrupted, startedUtc, DateTime.UtcNow);

        // Submissions in flight are limited to a window, so the first runs of the sweep are queued first and soon and
        // the cluster's slots fill while the rest is still being submitted.
        async Task SubmitInOrderAsync()
        {
            var pending = new List<Task>(runs.Count);
            try
            {
                for (int i = 0; i < runs.Count; i++)
                {
                    await window.WaitAsync(cancel);
                    pending.Add(SubmitAsync(i));
                    submitterPassed = i + 1;
                }
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                // The wait was given up; the runs not yet submitted stay so.
            }
            await Task.WhenAll(pending);
        }

        // Holds a place in the window while the grain accepts the run; its status comes with the next poll. Returns
        // the error of talking to the grain, if any.
        async Task<string?> SubmitAsync(int i, bool waitForWindow = false)
        {
            phase[i] = Phase.Submitting;
            try
            {
                if (waitForWindow) await window.WaitAsync(cancel);
            }
            catch
            {
                phase[i] = Phase.NotSubmitted;
                throw;
            }
            try
            {
                if (!admitted[i])
                {
                    if (budget.Admit(runs[i]) is { } notStarted)
                    {
                        overBudget[i] = true;
                        statuses[i] = statuses[i] with { Phase = BudgetGate.Phase, Error = notStarted };
                        return null;
                    }
                    admitted[i] = true;
                }
                await grains.GetGrain<IRunGrain>(runs[i].Key).Start(runs[i].Spec);
                phase[i] = Phase.Submitted;
                if (statuses[i].State == RunState.NotStarted) statuses[i] = statuses[i] with { State = RunState.Queued };
                return null;
            }
            catch (Exception e) when (IsLostConnection(e))
            {
                phase[i] = Phase.NotSubmitted;
                return pollError = $"{runs[i].Key}: {e.Message}";
            }
            catch (Exception e)
            {
                phase[i] = Phase.NotSubmitted;
                if (++rejections[i] >= MaxRejections)
                    statuses[i] = statuses[i] with { State = RunState.Failed, Error = $"the cluster rejected the run: {e.Message}" };
                return pollError = $"{runs[i].Key}: {e.Message}";
            }
            finally
            {
                window.Release();
            }
        }

        // One poll of every submitted, unfinished run; runs the submitter passed without success, and runs whose grain
        // lost its state (it reports NotStarted: e.g. its silo died), are submitted again, which is safe because
        // Start is idempotent. Returns the last error of talking to the cluster, if any.
        async Task<string?> PollRoundAsync()
        {
            // Queued runs leave the queue oldest first: the oldest ones are asked every round, the others in turns,
            // so that a round over a sweep of 100 000 runs costs about as much as one over a few hundred.
            int stride = Math.Max(1, queuedLastRound / QueuedPolledPerRound), turn = rounds++ % stride, queued = 0;
            var errors = await Task.WhenAll(Enumerable.Range(0, submitterPassed)
                .Where(i => !statuses[i].IsFinished && !overBudget[i] && phase[i] != Phase.Submitting)
                .Where(i => phase[i] != Phase.Submitted || statuses[i].State != RunState.Queued
                            || queued++ is var q && (q < QueuedPolledPerRound || q % stride == turn))
                .ToList()
                .Select(i => phase[i] == Phase.Submitted ? PollAsync(i) : SubmitAsync(i, waitForWindow: true)));
            queuedLastRound = queued;
            return errors.LastOrDefault(e => e is not null);
        }

        // The time budget is spent: runs still waiting in the queue leave it and are recorded as not started for the
        // budget. A run that began meanwhile refuses and trains on. Unreachable grains are asked again next round.
        async Task WithdrawWaitingAsync(string reason)
        {
            await Task.WhenAll(Enumerable.Range(0, submitterPassed)
                .Where(i => !overBudget[i] && phase[i] == Phase.Submitted && statuses[i].State == RunState.Queued)
                .ToList()
                .Select(async i =>
                {
                    try
                    {
                        if (!await grains.GetGrain<IRunGrain>(runs[i].Key).Withdraw(reason)) return;
                        overBudget[i] = true;
                        statuses[i] = statuses[i] with { State = RunState.NotStarted, Phase = BudgetGate.Phase, Error = reason };
                    }
                    catch (Exception e) when (IsLostConnection(e))
                    {
                        pollError = $"{runs[i].Key}: {e.Message}";
                    }
                }));
        }

        async Task<string?> PollAsync(int i)
        {
            try
            {
                var status = await grains.GetGrain<IRunGrain>(runs[i].Key).GetStatus();
                // NotStarted: the grain lost its state; the next round submits the run again.
                if (status.State == RunState.NotStarted) phase[i] = Phase.NotSubmitted;
                statuses[i] = status;
                return null;
            }
            catch (Exception e) when (IsLostConnection(e))
            {
                return $"{runs[i].Key}: {e.Message}";
            }
            catch (Exception e)
            {
                if (++rejections[i] >= MaxRejections)
                    statuses[i] = statuses[i] with { State = RunState.Failed, Error = $"the cluster rejected the run: {e.Message}" };
                return $"{runs[i].Key}: {e.Message}";
            }
        }
    }

    enum Phase { NotSubmitted, Submitting, Submitted }

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
        SweepStatus? search = null;

        SweepProgress Snapshot() =>
            new(runs.Select((run, i) => new RunRecord(run, Explained(statuses[i]))).ToList(), clock.Elapsed, pollError);

        // A run the search never started says why: the budget was reached (not a failure), or the search was cancelled.
        RunStatus Explained(RunStatus status) =>
            status.State != RunState.NotStarted || search is not { Done: true } ? status
            : search.Cancelled ? status with { Error = "not started: the search was cancelled" }
            : search.BudgetReached is { } reason ? status with { Phase = BudgetGate.Phase, Error = reason }
            : status;

        try
        {
            report?.Invoke(Snapshot());
            var sweepGrain = grains.GetGrain<ISweepGrain>(plan.Key);
            while (true)
            {
                try { await (RestartSearch ? sweepGrain.Restart(plan) : sweepGrain.Start(plan)).WaitAsync(cancel); break; }
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
                try
                {
                    search = await sweepGrain.GetStatus().WaitAsync(cancel);
                    done = search.Done;
                }
                catch (Exception e) when (IsLostConnection(e)) { pollError = e.Message; }
                var errors = await Task.WhenAll(Enumerable.Range(0, runs.Count).Select(async i =>
                {
                    try { statuses[i] = await grains.GetGrain<IRunGrain>(runs[i].Key).GetStatus(); return null; }
                    catch (Exception e) when (IsLostConnection(e)) { return $"{runs[i].Key}: {e.Message}"; }
                })).WaitAsync(cancel);
                pollError = errors.LastOrDefault(e => e is not null) ?? pollError;
                report?.Invoke(Snapshot());
                // A cancelled search is done while its runs in flight are still ending.
                if (done && !statuses.Any(s => s.State is RunState.Queued or RunState.Running)) break;
                await Task.Delay(pollInterval, cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            interrupted = true;
        }
        return new SweepOutcome(Snapshot().Runs, interrupted, startedUtc, DateTime.UtcNow) { SearchCancelled = search?.Cancelled == true };
    }

    /// <summary>Timeouts and Orleans runtime errors mean the cluster could not be reached (a silo died, the gateway
    /// is down): worth retrying. Anything else came from the grain itself.</summary>
    static bool IsLostConnection(Exception e) => e is TimeoutException or OrleansException;
}
