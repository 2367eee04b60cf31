using Gfe.Abstractions;
using Gfe.Engine.Search;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Gfe.Grains;

/// <summary>
/// A sweep with early stopping, scheduled in the cluster (issue 12). A thin adapter: the decisions are
/// <see cref="EarlyStopper"/>'s and <see cref="TrialScheduler"/>'s (what starts or is promoted next, paid from the
/// budget); this grain keeps its log, starts each trial's replicate runs to the next rung
/// (<see cref="RunSpec.StopAtImages"/>; the run grains train them in the cluster's queue like any run and end them as
/// stopped there), and polls the runs of the trials in flight. When all replicates of a trial have reached its rung,
/// it records their mean metric, and then fills the free places (<see cref="SweepPlan.TrialsAtOnce"/>) with the next
/// promotion the rule allows, else the next new trial, as ASHA does. Replicates stop and continue together; a
/// promoted trial's runs continue from their checkpoints. Each start and promotion is paid from the sweep's budget
/// (<see cref="SearchBudget"/>: the replicates' training images to the rung, the runs started, the hours since the
/// search began); the first one it cannot pay ends the scheduling, the trials in flight finish their rung, and the
/// reason is kept for the runs never started.
/// <para>Durability: every decision is written to the record before the runs it starts are submitted, and
/// submitting is idempotent, so an activation that died between the two resubmits on its next activation and takes
/// no decision twice. A reminder wakes the grain after a silo failure while the sweep is unfinished, so a detached
/// sweep goes on.</para>
/// </summary>
public sealed class SweepGrain(
    [PersistentState("sweep", RunGrain.StorageName)] IPersistentState<SweepRecord> record,
    ILogger<SweepGrain> logger) : Grain, ISweepGrain, IRemindable
{
    /// <summary>How often the runs of the trials in flight are polled.</summary>
    public static TimeSpan PollEvery { get; set; } = TimeSpan.FromMilliseconds(200);

    const string WakeReminder = "sweep-wake";

    EarlyStopper? stopper;
    IGrainTimer? timer;

    /// <summary>One pass at a time: the timer and a reminder tick may both want to advance.</summary>
    readonly SemaphoreSlim advancing = new(1, 1);

    SweepRecord Sweep => record.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Sweep.Plan is null || Sweep.Done) return;
        stopper = Replay(Sweep.Plan, Sweep.Log);
        StartPolling();
        // The runs of the trials in flight may never have been submitted if the last activation died right after
        // deciding; submitting again is a no-op for runs that were.
        await SubmitTraining(Sweep.Training.Select(kv => (kv.Key, kv.Value)).ToList());
    }

    public async Task Start(SweepPlan plan)
    {
        if (Sweep.Plan is not null)
        {
            // Attached again: go on where the sweep is.
            if (!Sweep.Done) StartPolling();
            return;
        }
        var rule = ParseRule(plan.Rule);
        if (plan.Reduction < 2) throw new ArgumentException($"reduction must be at least 2, not {plan.Reduction}");
        if (plan.Trials.Any(t => t.Rungs.Count == 0 || t.Replicates.Count == 0))
            throw new ArgumentException("every trial needs at least one rung and one run");
        Sweep.Plan = plan;
        Sweep.StartedUtc = DateTime.UtcNow;
        stopper = new EarlyStopper(rule, plan.Reduction);
        logger.LogInformation("Sweep {Key}: {Trials} trials with {Rule} early stopping on {Metric}", plan.Key, plan.Trials.Count, plan.Rule, plan.Metric);
        await Advance();
        try { await this.RegisterOrUpdateReminder(WakeReminder, RunGrain.OrphanCheck, RunGrain.OrphanCheck); }
        catch (Exception e) { logger.LogWarning(e, "Sweep {Key}: no reminder; it goes on after a silo failure only when asked for", plan.Key); }
        StartPolling();
    }

    public Task<SweepStatus> GetStatus() => Task.FromResult(Status());

    SweepStatus Status() => new(
        Sweep.Plan is not null, Sweep.Done, new Dictionary<string, int>(Sweep.Reached), Sweep.Log.Count,
        Sweep.BudgetReached, Sweep.Cancelled, Sweep.ImagesCommitted);

    public async Task<SweepStatus> Cancel()
    {
        List<string> inFlight;
        await advancing.WaitAsync();
        try
        {
            if (Sweep.Plan is not { } plan || Sweep.Done) return Status();
            inFlight = [.. Sweep.Training.Keys];
            Sweep.Cancelled = true;
            Sweep.Done = true;
            Sweep.Training.Clear();
            // The record first: a silo that dies before the runs hear of it leaves a cancelled search whose last
            // runs finish their rung, and nothing is started after them.
            await record.WriteStateAsync();
            logger.LogInformation("Sweep {Key} cancelled with {Trials} trials in flight", plan.Key, inFlight.Count);
            StopPolling();
        }
        finally
        {
            advancing.Release();
        }
        var trials = Sweep.Plan.Trials.ToDictionary(t => t.Name, StringComparer.Ordinal);
        await Task.WhenAll(inFlight.SelectMany(name => trials[name].Replicates).Select(spec => GrainFactory.GetGrain<IRunGrain>(spec.Key).Cancel()));
        if (await this.GetReminder(WakeReminder) is { } reminder) await this.UnregisterReminder(reminder);
        return Status();
    }

    public async Task Restart(SweepPlan plan)
    {
        if (Sweep.Cancelled)
        {
            logger.LogInformation("Sweep {Key}: the cancelled search starts afresh", plan.Key);
            stopper = null;
            record.State = new SweepRecord();
            await record.WriteStateAsync();
        }
        await Start(plan);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != WakeReminder) return;
        if (Sweep.Plan is null || Sweep.Done)
        {
            if (await this.GetReminder(WakeReminder) is { } reminder) await this.UnregisterReminder(reminder);
            return;
        }
        StartPolling();
    }

    void StopPolling()
    {
        timer?.Dispose();
        timer = null;
    }

    void StartPolling()
    {
        timer ??= this.RegisterGrainTimer(async _ =>
        {
            try { await Advance(); }
            catch (Exception e) { logger.LogWarning(e, "Sweep {Key}: a pass failed; the next one tries again", Sweep.Plan?.Key); }
        }, new GrainTimerCreationOptions { DueTime = PollEvery, Period = PollEvery, KeepAlive = true });
    }

    /// <summary>One pass: record the trials whose replicates all reached their rung, fill the free places, save, then
    /// submit what was decided.</summary>
    async Task Advance()
    {
        await advancing.WaitAsync();
        try
        {
            if (Sweep.Plan is not { } plan || Sweep.Done || stopper is null) return;
            var trials = plan.Trials.ToDictionary(t => t.Name, StringComparer.Ordinal);
            bool changed = false;

            foreach (var (name, rung) in Sweep.Training.ToList())
            {
                var trial = trials[name];
                var statuses = await Task.WhenAll(trial.Replicates.Select(r => GrainFactory.GetGrain<IRunGrain>(r.Key).GetStatus()));
                long images = trial.Rungs[rung - 1];
                // A replicate still finished at an earlier rung (its continuation not yet submitted) is not there yet.
                bool there(RunStatus s) => s.State is RunState.Failed or RunState.Cancelled or RunState.Completed ||
                                           (s.State is RunState.Stopped && s.Outcome?.ImagesSeen >= images);
                if (!statuses.All(there))
                {
                    var lost = trial.Replicates.Where((_, i) => statuses[i].State is RunState.NotStarted || (statuses[i].IsFinished && !there(statuses[i]))).ToList();
                    foreach (var spec in lost) await GrainFactory.GetGrain<IRunGrain>(spec.Key).Start(spec with { StopAtImages = images });
                    continue;
                }
                double metric;
                if (statuses.Any(s => s.State is RunState.Failed or RunState.Cancelled))
                {
                    Sweep.Failed.Add(name);
                    metric = double.PositiveInfinity;
                }
                else
                    metric = statuses.Average(s => MetricAt(s.Outcome!, plan.Metric, images));
                Sweep.Log.Add(new SweepDecision(name, rung, metric));
                stopper.Record(name, rung, metric);
                Sweep.Reached[name] = rung;
                Sweep.Training.Remove(name);
                changed = true;
            }

            var budgetBefore = Sweep.BudgetReached;
            var (started, filled) = TrialScheduler.Fill(Sweep, stopper, plan.Trials.Select(t => new TrialShape(t.Name, t.Replicates.Count, t.Rungs)).ToList(),
                plan.TrialsAtOnce, new SearchBudget(plan.MaxRuns, plan.MaxHours, plan.MaxTrainImages), DateTime.UtcNow);
            changed |= filled;
            if (Sweep.BudgetReached is { } reason && budgetBefore is null)
                logger.LogInformation("Sweep {Key}: {Reason}", plan.Key, reason);
            if (Sweep.Training.Count == 0)
            {
                Sweep.Done = true;
                changed = true;
                logger.LogInformation("Sweep {Key} done after {Decisions} decisions", plan.Key, Sweep.Log.Count);
            }
            if (!changed) return;
            // The decisions first: a crash after this write resubmits them on the next activation.
            await record.WriteStateAsync();
            await SubmitTraining(started);
            if (Sweep.Done) StopPolling();
        }
        finally
        {
            advancing.Release();
        }
    }

    /// <summary>A replicate's metric at the rung: its evaluation curve's point there, so that a run that has since
    /// gone further (a search started afresh finds it at a later rung) is judged where the decision is; else its
    /// last test loss.</summary>
    static double MetricAt(RunOutcome outcome, string metric, long images)
    {
        if (outcome.EvalCurve?.FirstOrDefault(p => p.ImagesSeen >= images) is { } point && point.TestLoss.TryGetValue(metric, out var atRung))
            return atRung;
        return outcome.TestLoss.TryGetValue(metric, out var loss) ? loss : double.PositiveInfinity;
    }

    /// <summary>Starts (or continues) every replicate of these trials to their rung; idempotent.</summary>
    async Task SubmitTraining(IReadOnlyList<(string Trial, int Rung)> training)
    {
        if (Sweep.Plan is not { } plan || training.Count == 0) return;
        var trials = plan.Trials.ToDictionary(t => t.Name, StringComparer.Ordinal);
        await Task.WhenAll(training.SelectMany(t =>
        {
            var trial = trials[t.Trial];
            long images = trial.Rungs[t.Rung - 1];
            return trial.Replicates.Select(spec => GrainFactory.GetGrain<IRunGrain>(spec.Key).Start(spec with { StopAtImages = images }));
        }));
    }

    /// <summary>The rule's state after the logged decisions: the same records and promotions in the same order.</summary>
    static EarlyStopper Replay(SweepPlan plan, IEnumerable<SweepDecision> log)
    {
        var stopper = new EarlyStopper(ParseRule(plan.Rule), plan.Reduction);
        int lastRung = plan.Trials.Max(t => t.Rungs.Count);
        foreach (var decision in log)
        {
            if (decision.Metric is { } metric) stopper.Record(decision.Trial, decision.Rung, metric);
            else stopper.NextPromotion(lastRung);
        }
        return stopper;
    }

    static EarlyStopRule ParseRule(string rule) =>
        Enum.TryParse<EarlyStopRule>(rule, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new ArgumentException($"early-stopping rule must be asha or median, not '{rule}'");
}
