using System.Diagnostics;
using Gfe.Abstractions;
using Gfe.Engine.Checkpoints;
using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using Microsoft.Extensions.Hosting;
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
    UnsavedOutcomes outcomes,
    ILocalSiloDetails silo,
    IHostApplicationLifetime lifetime,
    ILogger<RunGrain> logger) : Grain, IRunGrain, IRunExecution, IRemindable
{
    /// <summary>The grain storage that holds run records (the queue has its own, <see cref="RunQueueGrain.StorageName"/>).</summary>
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

    /// <summary>Cancelled when the activation goes away or the silo begins to stop: the run stays queued/running in
    /// storage and resumes. It also ends the retries of a record write that waits for the storage to come back.</summary>
    readonly CancellationTokenSource stopping = new();

    /// <summary>Ties <see cref="stopping"/> to the silo's shutdown, so that a record write retrying through a storage
    /// outage cannot hold a stopping silo (a request in progress delays the deactivation that would cancel it).</summary>
    CancellationTokenRegistration siloStopping;

    StateWriter<RunRecord>? writer;

    /// <summary>Cancelled by <see cref="Cancel"/>: the run ends as cancelled. Linked to <see cref="stopping"/>.</summary>
    CancellationTokenSource? cancelling;
    Task? background;

    string Key => this.GetPrimaryKeyString();

    RunRecord Run => record.State;

    /// <summary>Writes the record through storage outages: retried until stored, a conflict meaning another
    /// activation owns the run (<see cref="InconsistentStateException"/>), or the activation stopping.</summary>
    StateWriter<RunRecord> Writer => writer ??= new(record, WriteConflict.Throw, logger, $"Run {Key}: its record");

    Task SaveRecord() => Writer.Write(stopping.Token);

    IRunQueueGrain Queue => GrainFactory.GetGrain<IRunQueueGrain>(RunQueueGrain.ClusterQueue);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        siloStopping = lifetime.ApplicationStopping.Register(static s => ((CancellationTokenSource)s!).Cancel(), stopping);
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
        await siloStopping.DisposeAsync();
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
            if (background is null) await Queue.Enqueue(Waiting());
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
            await SaveRecord();
            return;
        }

        // The record and the queue at once: a puller's Execute waits for this call to end, and then finds the run
        // queued in memory either way. The reminder is only a safety net, so Start does not wait for it.
        await Task.WhenAll(SaveRecord(), Queue.Enqueue(new QueuedRun(Key, config.RunsOn == RunDevice.Gpu, silo.SiloAddress)));
        _ = WatchForOrphaning();
    }

    public async Task<ExecutionAnswer> Execute(SiloAddress puller)
    {
        if (background is { IsCompleted: false })
            return ExecutionAnswer.AlreadyTraining;
        if (Run.State is not (RunState.Queued or RunState.Running))
        {
            // A stale queue entry of a finished run. Its files can go too: a silo that stopped during a storage outage
            // may have kept an outcome whose write had landed after all, without hearing so.
            if (Run.IsFinished && background is null)
            {
                checkpoints.Remove(Key);
                outcomes.Remove(Key);
            }
            return ExecutionAnswer.NothingToRun;
        }
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
            await SaveRecord();
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
        if (background is null)
            await Queue.Enqueue(Waiting());
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

    /// <summary>Interleaves with everything (the interface marks it [AlwaysInterleave]), so it answers mid-run. A
    /// run found waiting makes sure, now and then, that the queue still has it: a queue whose silo stopped while the
    /// storage was down has lost what it had not saved, and the reminder would put the run back only within a
    /// minute. Enqueue is a no-op for a run already waiting or leased.</summary>
    public Task<RunStatus> GetStatus()
    {
        if (background is null && Run.State is RunState.Queued && Run.Spec is not null && DateTime.UtcNow - queueCheckedUtc >= QueueCheck)
        {
            queueCheckedUtc = DateTime.UtcNow;
            _ = MakeSureQueued();
        }
        // A finished run read back from storage (a reused run, a status query) need not stay active either.
        if (background is null && Run.IsFinished) DeactivateOnIdle();
        return Task.FromResult(Run.ToStatus(Key));
    }

    /// <summary>How often status polls of a waiting run re-assert it in the queue.</summary>
    static readonly TimeSpan QueueCheck = TimeSpan.FromSeconds(15);

    DateTime queueCheckedUtc = DateTime.UtcNow;

    /// <summary>This run as the queue holds it (its spec was accepted by Start, so it converts).</summary>
    QueuedRun Waiting() => new(Key, RunSpecs.ToConfig(Run.Spec!, Key).RunsOn == RunDevice.Gpu, silo.SiloAddress);

    async Task MakeSureQueued()
    {
        try
        {
            await Queue.Enqueue(Waiting());
        }
        catch (Exception e)
        {
            // The next poll, or the reminder, tries again.
            logger.LogDebug("Run {Key}: the queue could not be asked ({Error})", Key, e.Message);
        }
    }

    public async Task Cancel()
    {
        if (Run.State is not (RunState.Queued or RunState.Running)) return;
        logger.LogInformation("Run {Key} cancel requested while {State}", Key, Run.State);
        if (cancelling is { } running)
        {
            running.Cancel();
            return;
        }
        await LeaveQueue("cancelled");
    }

    public async Task<bool> Withdraw(string reason)
    {
        if (Run.State is not RunState.Queued || cancelling is not null) return false;
        logger.LogInformation("Run {Key} withdrawn from the queue: {Reason}", Key, reason);
        await LeaveQueue(reason);
        return true;
    }

    /// <summary>A run waiting in the queue leaves it without ever taking a slot, recorded as cancelled.</summary>
    async Task LeaveQueue(string error)
    {
        Run.State = RunState.Cancelled;
        Run.Error = error;
        Run.FinishedUtc = DateTime.UtcNow;
        await SaveRecord();
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
            // A finished run's record is stored: the activation holds nothing a new one would not read back, so it
            // goes now instead of after the collection age (15 minutes), which in a large sweep of short runs kept
            // thousands of idle activations (docs/performance.md, "Large sweeps").
            if (ending == Ending.Finished) DeactivateOnIdle();
        }
    }

    /// <summary>How a run's execution ended, for the queue: finished (any outcome), interrupted (it resumes on its
    /// next activation) or superseded (another activation owns it).</summary>
    enum Ending { Finished, Interrupted, Superseded }

    async Task<Ending> Train(RunConfig config, JobSlot slot, CancellationTokenSource cancel)
    {
        if (outcomes.Find(Key) is { } kept && kept.State is RunState.Completed or RunState.Failed or RunState.Cancelled)
        {
            // An earlier activation finished the run but could not save it before its silo stopped.
            Adopt(kept);
            logger.LogInformation("Run {Key}: its outcome ({State}), kept by {Silo} while the storage was down, is recorded now; it is not trained again",
                Key, Run.State, Run.Silo);
            return await RecordOutcome(slot);
        }
        try
        {
            Run.State = RunState.Running;
            Run.StartedUtc = DateTime.UtcNow;
            Run.Silo = $"{silo.DnsHostName}:{silo.SiloAddress.Endpoint.Port}";
            Run.Phase = "starting";
            Run.Attempts++;
            try
            {
                // Through a storage outage the run waits here, its slot held, rather than fail: the write claims the
                // run for this activation, so training must not begin before it is stored.
                await SaveRecord();
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
            var declaration = Run.Spec.DatasetDeclaration;
            var work = Task.Factory.StartNew(
                () => Execute(engineConfig, datasets, declaration, store, progress, stopAt, token, Key, config, checkpoints.ModelsDirectory),
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
        return await RecordOutcome(slot);
    }

    /// <summary>Stores the finished run's record, then removes what only a resumption would need.</summary>
    async Task<Ending> RecordOutcome(JobSlot slot)
    {
        // The training thread has ended: the next run may have the slot while this one saves its outcome. Through
        // a storage outage the outcome stays here, in memory (status polls see it), and is written when the storage
        // is back; meanwhile the run is still this silo's (JobSlots.HeldKeys), so the queue leaves its lease alone.
        slot.Vacate();
        try
        {
            await SaveRecord();
        }
        catch (InconsistentStateException e)
        {
            // Another activation owns the run now; its record is the one that counts.
            Supersede(e);
            return Ending.Superseded;
        }
        catch (OperationCanceledException)
        {
            // The activation stops before the storage came back: the record goes to a file beside the checkpoints,
            // which the run's next activation (on any silo) records instead of training; failing that, the
            // checkpoint stays, so the run resumes from it rather than start again.
            bool kept = outcomes.Keep(Key, Run);
            logger.LogError("Run {Key} finished as {State}, but the activation stopped before its record could be saved; {Next}",
                Key, Run.State, kept ? $"it is kept in {outcomes.PathOf(Key)} for the run's next activation" : "it resumes from its checkpoint");
            return Ending.Interrupted;
        }
        // Only now that the outcome is stored: a crash before this point must still find the checkpoint. A run stopped
        // early keeps it, for a promotion to continue from.
        if (Run.State is not RunState.Stopped) checkpoints.Remove(Key);
        outcomes.Remove(Key);
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
            if (await Writer.TryWrite() is { } error)
                logger.LogWarning("Run {Key}: progress could not be saved ({Error}); training goes on", Key, error.Message);
        }
        catch (InconsistentStateException e)
        {
            Supersede(e);
        }
    }

    /// <summary>The training itself, on its dedicated thread: loads the data and runs the engine. Static, so that
    /// it cannot reach grain state.</summary>
    static RunResult Execute(RunConfig config, DatasetStore datasets, string? declaration, ICheckpointStore checkpoints, LatestProgress progress,
        long? stopAtImages, CancellationToken cancel, string key, RunConfig submitted, string modelsDirectory)
    {
        DatasetSplits? data = null;
        if (config.Method != RunMethod.Simulate)
        {
            progress.Report(new RunProgress("data", 0, 0, null));
            if (declaration is not null)
                // A dataset of the sweep file's own: its declaration came with the run, the files are at its paths.
                data = DatasetStore.Load(Engine.Data.Files.DatasetDeclaration.Parse(declaration, $"the declaration of '{config.Dataset}' sent with run {key}",
                    config.Dataset, Path.GetTempPath()));
            else
            {
                datasets.Ensure(config.Dataset, cancel: cancel);
                data = datasets.Load(config.Dataset);
            }
        }
        var result = RunExecutor.Execute(config, data, progress, cancel, checkpoints, stopAtImages);
        // The trained model is kept beside the checkpoints (shared by a cluster's silos), in a folder named by the run
        // key; the client gathers it into results/<sweep>/models/. A failed save costs the artifact, not the run.
        if (Engine.Artifacts.ModelArtifact.Of(key, submitted, data, result) is { } artifact)
        {
            try
            {
                var folder = Path.Combine(modelsDirectory, key);
                artifact.Save(folder);
                if (submitted.Latents) Engine.Artifacts.LatentExport.Write(folder, artifact, submitted, data!, cancel);
                result = result with { ModelDirectory = folder };
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return result with { Model = null };
    }

    void ShowProgress(RunProgress? progress)
    {
        if (progress is null) return;
        Run.Phase = progress.Phase;
        Run.Progress = progress.Fraction;
        Run.ImagesSeen = progress.ImagesSeen;
        Run.TrainLoss = progress.TrainLoss ?? Run.TrainLoss;
    }

    /// <summary>Takes the finished state of a record kept by an earlier activation.</summary>
    void Adopt(RunRecord kept)
    {
        Run.State = kept.State;
        Run.Phase = kept.Phase;
        Run.Progress = kept.Progress;
        Run.ImagesSeen = kept.ImagesSeen;
        Run.TrainLoss = kept.TrainLoss;
        Run.Silo = kept.Silo;
        Run.Error = kept.Error;
        Run.Outcome = kept.Outcome;
        Run.StartedUtc = kept.StartedUtc;
        Run.FinishedUtc = kept.FinishedUtc;
        Run.Attempts = Math.Max(Run.Attempts, kept.Attempts);
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
        RunFailedException or DataException or Engine.Data.Files.DataInputException or RunConfigException => e.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
