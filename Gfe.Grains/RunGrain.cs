using System.Diagnostics;
using Gfe.Abstractions;
using Gfe.Engine.Checkpoints;
using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Storage;

namespace Gfe.Grains;

/// <summary>
/// One training configuration, keyed by its canonical run key (<see cref="RunKey.For"/>). <see cref="Start"/> records
/// the spec and puts the run in the cluster's queue (<see cref="RunQueueGrain"/>); a silo with a free job slot pulls
/// it (<see cref="SlotPuller"/>) and calls <see cref="Execute"/> with itself as placement hint, so the run trains in
/// this grain on the silo that pulled it: a queued activation elsewhere migrates there first (it holds nothing but
/// its record), a training one never moves ([Immovable] keeps the rebalancer off it, and it refuses to migrate).
/// Training runs on a dedicated thread; the outcome (or the error) goes to the run's persistent record.
/// <para>Durability: the engine checkpoints the run into the shared checkpoint directory. A run whose activation went
/// away before it finished goes back to the front of the queue: handed back by the activation as it deactivates, or
/// taken back by the queue when membership declares its silo dead; its next activation resumes from the last
/// checkpoint. The reminder every unfinished run holds (<see cref="OrphanReminder"/>) puts the run back in the queue
/// should the queue have lost it. The record is written with ETags, so an activation that a newer one has superseded
/// (e.g. on a silo declared dead that is still running) fails its next write and stops training instead of
/// finishing the run a second time.</para>
/// </summary>
[Immovable]
public sealed class RunGrain(
    [PersistentState("run", RunGrain.StorageName)] IPersistentState<RunRecord> record,
    JobSlots slots,
    DatasetStore datasets,
    SiloCheckpoints checkpoints,
    ILocalSiloDetails silo,
    ILogger<RunGrain> logger) : Grain, IRunGrain, IRunExecution, IRemindable
{
    /// <summary>The grain storage that holds run records (and the run queue).</summary>
    public const string StorageName = "runs";

    /// <summary>How often the loop copies the engine's latest progress into the record.</summary>
    static readonly TimeSpan ProgressPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>How often progress is persisted while training: often enough that a status read after a silo
    /// failure is recent, rarely enough that storage is no bottleneck for many runs.</summary>
    static readonly TimeSpan PersistEvery = TimeSpan.FromSeconds(30);

    /// <summary>How long deactivation waits for the training thread to notice it was cancelled.</summary>
    static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>The reminder an unfinished run holds: its tick puts the run back in the queue if the queue lost it
    /// (e.g. its state was in memory on a silo that died).</summary>
    public const string OrphanReminder = "resume-orphan";

    /// <summary>Orleans' shortest reminder period.</summary>
    public static readonly TimeSpan OrphanCheck = TimeSpan.FromMinutes(1);

    /// <summary>Cancelled when the activation goes away: the run stays queued/running in storage and resumes.</summary>
    readonly CancellationTokenSource stopping = new();

    /// <summary>Cancelled by <see cref="Cancel"/>: the run ends as cancelled. Linked to <see cref="stopping"/>.</summary>
    CancellationTokenSource? cancelling;
    Task? background;

    string Key => this.GetPrimaryKeyString();

    RunRecord Run => record.State;

    IRunQueueGrain Queue => GrainFactory.GetGrain<IRunQueueGrain>(RunQueueGrain.ClusterQueue);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Queued or running in storage but not in memory: the activation that owned the run is gone, or this is
        // the run migrating to the silo that pulled it. Either way it waits for Execute; the queue has it.
        if (Run.State is RunState.Running)
        {
            logger.LogInformation("Run {Key} was running when its last activation ended; it waits to be trained again ({Resume})",
                Key, checkpoints.Has(Key) ? "it resumes from its checkpoint" : "from the start: no checkpoint");
            Run.State = RunState.Queued;
        }
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        stopping.Cancel();
        // Let the training thread stop, and the run go back to the queue, before another activation could start
        // the same run elsewhere.
        if (background is not null)
        {
            try { await background.WaitAsync(StopGrace, cancellationToken); }
            catch (Exception) { /* still stopping: the record and the queue's lease checks say what is known */ }
        }
    }

    public async Task Start(RunSpec spec)
    {
        if (Run.State is RunState.Completed)
            return;
        if (Run.State is RunState.Queued or RunState.Running)
        {
            // Under way: submitting it again only makes sure the queue has it (a no-op if it is waiting or leased).
            if (background is null) await Queue.Enqueue(new QueuedRun(Key, RunSpecs.ToConfig(Run.Spec, Key).RunsOn == RunDevice.Gpu, silo.SiloAddress));
            return;
        }

        // A failed run's loop may still be saving its record; let it finish before the record is replaced.
        if (background is not null)
            await background;

        if (Run.State is RunState.Stopped)
        {
            // Stopped early at a rung: only a promotion (a later rung, or the end) continues it, from its checkpoint;
            // the same stop asked for again is done already.
            if (spec.StopAtImages is { } stopAt && stopAt <= (Run.Spec?.StopAtImages ?? long.MaxValue))
                return;
            record.State = new RunRecord { Spec = spec, State = RunState.Queued, SubmittedUtc = Run.SubmittedUtc, Attempts = Run.Attempts, ImagesSeen = Run.ImagesSeen };
        }
        else
            record.State = new RunRecord { Spec = spec, State = RunState.Queued, SubmittedUtc = DateTime.UtcNow };
        RunConfig config;
        try
        {
            config = RunSpecs.ToConfig(spec, Key);
        }
        catch (RunConfigException e)
        {
            logger.LogWarning("Run {Key} refused: {Error}", Key, e.Message);
            Fail($"invalid run spec: {e.Message}");
            await record.WriteStateAsync();
            return;
        }

        // The record and the queue at once: a puller's Execute waits for this call to end, and then finds the run
        // queued in memory either way. The reminder is only a safety net, so Start does not wait for it.
        await Task.WhenAll(record.WriteStateAsync(), Queue.Enqueue(new QueuedRun(Key, config.RunsOn == RunDevice.Gpu, silo.SiloAddress)));
        _ = WatchForOrphaning();
    }

    public async Task<ExecutionAnswer> Execute(SiloAddress puller)
    {
        if (background is { IsCompleted: false })
            return ExecutionAnswer.AlreadyTraining;
        if (Run.State is not (RunState.Queued or RunState.Running))
            return ExecutionAnswer.NothingToRun;
        if (!puller.Equals(silo.SiloAddress))
        {
            // Queued here, pulled there: move there. The caller's placement hint (in the request context) names
            // the target; the record travels with the activation.
            MigrateOnIdle();
            return ExecutionAnswer.Elsewhere;
        }
        if (slots.Claim(Key) is not { } slot)
            // Pulled by this silo but not reserved here: a puller of an earlier lease gave up on it.
            return ExecutionAnswer.NothingToRun;

        RunConfig config;
        try
        {
            config = RunSpecs.ToConfig(Run.Spec, Key);
        }
        catch (RunConfigException e)
        {
            // Only possible if the engine's settings changed since the run was accepted.
            Fail(e.Message);
            slot.Dispose();
            await record.WriteStateAsync();
            return ExecutionAnswer.NothingToRun;
        }
        // Created before the loop's first await, so that a Cancel arriving while the record is saved is not lost.
        var cancel = cancelling = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        background = RunInBackground(config, slot, cancel);
        return ExecutionAnswer.Started;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != OrphanReminder) return;
        if (Run.State is not (RunState.Queued or RunState.Running))
        {
            // A finished or never-started run needs no watching any more.
            await StopWatchingForOrphaning();
            return;
        }
        // Unfinished and not training in this activation: make sure the queue has it (a no-op if it is waiting or
        // leased to a silo).
        if (background is null && RunSpecs.ToConfig(Run.Spec, Key) is var config)
            await Queue.Enqueue(new QueuedRun(Key, config.RunsOn == RunDevice.Gpu, silo.SiloAddress));
    }

    /// <summary>Best effort: without the reminder the run still resumes whenever it is asked for.</summary>
    async Task WatchForOrphaning()
    {
        try
        {
            await this.RegisterOrUpdateReminder(OrphanReminder, OrphanCheck, OrphanCheck);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Run {Key}: no reminder registered; if its silo dies it resumes only when asked for", Key);
        }
    }

    async Task StopWatchingForOrphaning()
    {
        try
        {
            if (await this.GetReminder(OrphanReminder) is { } reminder)
                await this.UnregisterReminder(reminder);
        }
        catch (Exception e)
        {
            // The next tick tries again.
            logger.LogWarning(e, "Run {Key}: its reminder could not be removed", Key);
        }
    }

    /// <summary>Interleaves with everything (the interface marks it [AlwaysInterleave]), so it answers mid-run.</summary>
    public Task<RunStatus> GetStatus() => Task.FromResult(Run.ToStatus(Key));

    public async Task Cancel()
    {
        if (Run.State is not (RunState.Queued or RunState.Running)) return;
        logger.LogInformation("Run {Key} cancel requested while {State}", Key, Run.State);
        if (cancelling is { } running)
        {
            running.Cancel();
            return;
        }
        // Waiting in the queue: it leaves the queue without ever taking a slot.
        Run.State = RunState.Cancelled;
        Run.Error = "cancelled";
        Run.FinishedUtc = DateTime.UtcNow;
        await record.WriteStateAsync();
        await Queue.Done(Key);
        await StopWatchingForOrphaning();
    }

    /// <summary>
    /// The activation's background loop: train in the claimed slot, record the result, then tell the queue and free
    /// the slot. It runs on the grain scheduler (it touches the record); only <see cref="Execute"/> runs on the
    /// dedicated thread. It never throws.
    /// </summary>
    async Task RunInBackground(RunConfig config, JobSlot slot, CancellationTokenSource cancel)
    {
        // The loop is not a request, so without this an idle-looking activation would be collected mid-run.
        DelayDeactivation(Timeout.InfiniteTimeSpan);
        var ending = Ending.Interrupted;
        try
        {
            ending = await Train(config, slot, cancel);
        }
        finally
        {
            // The training thread has ended on every path that reaches here, so nothing reads the token any more.
            cancelling = null;
            cancel.Dispose();
            try
            {
                // The queue first, the slot after: while this silo still holds the slot, the queue's lease checks
                // leave the run's lease alone.
                if (ending == Ending.Finished) await Queue.Done(Key);
                else if (ending == Ending.Interrupted) await Queue.Return(Key, silo.SiloAddress);
            }
            catch (Exception e)
            {
                // The queue notices at this silo's next pull that the slot is no longer held.
                logger.LogWarning("Run {Key}: the run queue could not be told ({Error})", Key, e.Message);
            }
            slot.Dispose();
            background = null;
            DelayDeactivation(TimeSpan.Zero);
        }
    }

    /// <summary>How a run's execution ended, for the queue: finished (any outcome), interrupted (it resumes on its
    /// next activation) or superseded (another activation owns it).</summary>
    enum Ending { Finished, Interrupted, Superseded }

    async Task<Ending> Train(RunConfig config, JobSlot slot, CancellationTokenSource cancel)
    {
        try
        {
            Run.State = RunState.Running;
            Run.StartedUtc = DateTime.UtcNow;
            Run.Silo = $"{silo.DnsHostName}:{silo.SiloAddress.Endpoint.Port}";
            Run.Phase = "starting";
            Run.Attempts++;
            try
            {
                await record.WriteStateAsync();
            }
            catch (InconsistentStateException e)
            {
                Supersede(e);
                return Ending.Superseded;
            }
            bool resuming = checkpoints.Has(Key);
            logger.LogInformation("Run {Key} started on {Silo} ({InUse}/{Capacity} slots busy, attempt {Attempt}{Resume})",
                Key, Run.Silo, slots.InUse, slots.Capacity, Run.Attempts, resuming ? ", resuming from its checkpoint" : "");

            var progress = new LatestProgress();
            var token = cancel.Token;
            var engineConfig = checkpoints.Apply(config);
            var store = checkpoints.ForRun(Key);
            var stopAt = Run.Spec!.StopAtImages;
            var work = Task.Factory.StartNew(
                () => Execute(engineConfig, datasets, store, progress, stopAt, token),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

            var sinceSave = Stopwatch.StartNew();
            while (!work.IsCompleted)
            {
                await Task.WhenAny(work, Task.Delay(ProgressPoll));
                ShowProgress(progress.Latest);
                if (sinceSave.Elapsed >= PersistEvery)
                {
                    await SaveProgress();
                    sinceSave.Restart();
                }
            }

            var result = await work;
            Run.State = result.StoppedEarly ? RunState.Stopped : RunState.Completed;
            Run.Outcome = RunOutcomes.From(result);
            Run.Phase = result.StoppedEarly ? "stopped" : "done";
            Run.Progress = result.StoppedEarly ? Run.Progress : 1;
            Run.ImagesSeen = result.ImagesSeen;
            Run.TrainLoss = result.FinalTrainLoss;
            Run.FinishedUtc = DateTime.UtcNow;
            logger.LogInformation("Run {Key} {Ending} in {Seconds:F1} s", Key, result.StoppedEarly ? $"stopped at {result.ImagesSeen} images" : "completed", (Run.FinishedUtc - Run.StartedUtc)?.TotalSeconds);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The activation is going away (or was superseded): the stored record still says running, so the run's
            // next activation takes it up again.
            logger.LogInformation("Run {Key} interrupted by deactivation; it resumes on its next activation", Key);
            return Ending.Interrupted;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            logger.LogInformation("Run {Key} cancelled", Key);
            Run.State = RunState.Cancelled;
            Run.Error = "cancelled";
            Run.FinishedUtc = DateTime.UtcNow;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Run {Key} failed", Key);
            Fail(Describe(e));
        }

        // The training thread has ended: the next run may have the slot while this one saves its outcome.
        slot.Vacate();
        try
        {
            await record.WriteStateAsync();
        }
        catch (InconsistentStateException e)
        {
            // Another activation owns the run now; its record is the one that counts.
            Supersede(e);
            return Ending.Superseded;
        }
        catch (Exception e)
        {
            // The activation still answers with the outcome; only its persistence is lost, so the checkpoint stays
            // for the next attempt, and the run goes back to the queue for it.
            logger.LogError(e, "Run {Key} finished as {State} but its record could not be saved", Key, Run.State);
            return Ending.Interrupted;
        }
        // Only now that the outcome is stored: a crash before this point must still find the checkpoint. A run stopped
        // early keeps it, for a promotion to continue from.
        if (Run.State is not RunState.Stopped) checkpoints.Remove(Key);
        await StopWatchingForOrphaning();
        return Ending.Finished;
    }

    /// <summary>
    /// The stored record was written by another activation since this one read it: the run was taken up elsewhere
    /// (this silo was declared dead, or a partition healed). This activation stops training without writing and goes
    /// away; the run's outcome is the other activation's.
    /// </summary>
    void Supersede(InconsistentStateException e)
    {
        logger.LogWarning("Run {Key}: another activation has taken the run over ({Error}); this one stops", Key, e.Message);
        stopping.Cancel();
        DeactivateOnIdle();
    }

    /// <summary>Best effort: a storage hiccup mid-run must not end a run whose thread is still training.</summary>
    async Task SaveProgress()
    {
        try
        {
            await record.WriteStateAsync();
        }
        catch (InconsistentStateException e)
        {
            Supersede(e);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Run {Key}: progress could not be saved; training goes on", Key);
        }
    }

    /// <summary>The training itself, on its dedicated thread: loads the data and runs the engine. Static, so that
    /// it cannot reach grain state.</summary>
    static RunResult Execute(RunConfig config, DatasetStore datasets, ICheckpointStore checkpoints, LatestProgress progress, long? stopAtImages, CancellationToken cancel)
    {
        DatasetSplits? data = null;
        if (config.Method != RunMethod.Simulate)
        {
            progress.Report(new RunProgress("data", 0, 0, null));
            datasets.Ensure(config.Dataset, cancel: cancel);
            data = datasets.Load(config.Dataset);
        }
        return RunExecutor.Execute(config, data, progress, cancel, checkpoints, stopAtImages);
    }

    void ShowProgress(RunProgress? progress)
    {
        if (progress is null) return;
        Run.Phase = progress.Phase;
        Run.Progress = progress.Fraction;
        Run.ImagesSeen = progress.ImagesSeen;
        Run.TrainLoss = progress.TrainLoss ?? Run.TrainLoss;
    }

    void Fail(string error)
    {
        Run.State = RunState.Failed;
        Run.Error = error;
        Run.FinishedUtc = DateTime.UtcNow;
    }

    /// <summary>The engine's own failures carry messages meant for the user; anything else is a defect, so its type
    /// is named too.</summary>
    static string Describe(Exception e) => e switch
    {
        RunFailedException or DataException or RunConfigException => e.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
