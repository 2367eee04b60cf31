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
/// One training configuration, keyed by its canonical run key (<see cref="RunKey.For"/>). <see cref="Start"/> only
/// records the spec; a background loop owned by the activation waits for a job slot, trains on a dedicated thread
/// and writes the outcome (or the error) to the run's persistent record.
/// <para>Durability: the engine checkpoints the run into the silo's checkpoint directory. A run whose activation
/// went away before it finished (silo stopped or died) is taken up by its next activation, on any live silo, from
/// its last checkpoint. Something must call the grain for that: the client's polling does, and so does the
/// reminder that every unfinished run holds (<see cref="OrphanReminder"/>). The record is written with ETags, so
/// an activation that a newer one has superseded (e.g. on a silo declared dead that is still running) fails its
/// next write and stops training instead of finishing the run a second time.</para>
/// </summary>
[Immovable]
public sealed class RunGrain(
    [PersistentState("run", RunGrain.StorageName)] IPersistentState<RunRecord> record,
    JobSlots slots,
    DatasetStore datasets,
    SiloCheckpoints checkpoints,
    ILocalSiloDetails silo,
    ILogger<RunGrain> logger) : Grain, IRunGrain, IRemindable
{
    /// <summary>The grain storage that holds run records.</summary>
    public const string StorageName = "runs";

    /// <summary>How often the loop copies the engine's latest progress into the record.</summary>
    static readonly TimeSpan ProgressPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>How often progress is persisted while training: often enough that a status read after a silo
    /// failure is recent, rarely enough that storage is no bottleneck for many runs.</summary>
    static readonly TimeSpan PersistEvery = TimeSpan.FromSeconds(30);

    /// <summary>How long deactivation waits for the training thread to notice it was cancelled.</summary>
    static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>The reminder an unfinished run holds: its tick activates the grain on a live silo if the silo that
    /// trained it died and nobody asks for the run.</summary>
    public const string OrphanReminder = "resume-orphan";

    /// <summary>Orleans' shortest reminder period; an orphaned run that nobody polls resumes within about this long
    /// after its silo is declared dead.</summary>
    public static readonly TimeSpan OrphanCheck = TimeSpan.FromMinutes(1);

    /// <summary>Cancelled when the activation goes away: the run stays queued/running in storage and resumes.</summary>
    readonly CancellationTokenSource stopping = new();

    /// <summary>Cancelled by <see cref="Cancel"/>: the run ends as cancelled. Linked to <see cref="stopping"/>.</summary>
    CancellationTokenSource? cancelling;
    Task? background;
    Task<RunResult>? training;

    string Key => this.GetPrimaryKeyString();

    RunRecord Run => record.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Queued or running in storage but not in memory: the activation that owned the run is gone.
        if (Run.State is RunState.Queued or RunState.Running)
        {
            try
            {
                var config = RunSpecs.ToConfig(Run.Spec, Key);
                logger.LogInformation("Run {Key} was {State} when its last activation ended; queuing it again ({Resume})",
                    Key, Run.State, checkpoints.Has(Key) ? "it resumes from its checkpoint" : "from the start: no checkpoint");
                Run.State = RunState.Queued;
                background = RunInBackground(config, cancelling = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token));
            }
            catch (RunConfigException e)
            {
                // Only possible if the engine's settings changed since the run was accepted.
                Fail(e.Message);
                return record.WriteStateAsync(cancellationToken);
            }
        }
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        stopping.Cancel();
        // Let the training thread stop before another activation could start the same run elsewhere.
        if (training is not null)
        {
            try { await training.WaitAsync(StopGrace, cancellationToken); }
            catch (Exception) { /* cancelled, failed or still stopping: the record says what is known */ }
        }
    }

    public async Task Start(RunSpec spec)
    {
        if (Run.State is RunState.Queued or RunState.Running or RunState.Completed)
            return;

        // A failed run's loop may still be saving its record; let it finish before the record is replaced.
        if (background is not null)
            await background;

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

        // Created before the first await, so that a Cancel arriving while the record is saved is not lost.
        var cancel = cancelling = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        await record.WriteStateAsync();
        background = RunInBackground(config, cancel);
        await WatchForOrphaning();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // Being activated was the point: OnActivateAsync has already taken up an unfinished run. A finished or
        // never-started run needs no watching any more.
        if (reminderName == OrphanReminder && Run.State is not (RunState.Queued or RunState.Running))
            await StopWatchingForOrphaning();
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

    public Task Cancel()
    {
        if (Run.State is RunState.Queued or RunState.Running)
        {
            logger.LogInformation("Run {Key} cancel requested while {State}", Key, Run.State);
            cancelling?.Cancel();
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The activation's background loop: wait for a slot, train, record the result. It runs on the grain scheduler
    /// (it touches the record); only <see cref="Execute"/> runs on the dedicated thread. It never throws.
    /// </summary>
    async Task RunInBackground(RunConfig config, CancellationTokenSource cancel)
    {
        // The loop is not a request, so without this an idle-looking activation would be collected mid-run.
        DelayDeactivation(Timeout.InfiniteTimeSpan);
        try
        {
            using (var slot = await slots.AcquireAsync(cancel.Token))
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
                    throw new OperationCanceledException();
                }
                bool resuming = checkpoints.Has(Key);
                logger.LogInformation("Run {Key} started on {Silo} ({InUse}/{Capacity} slots busy, attempt {Attempt}{Resume})",
                    Key, Run.Silo, slots.InUse, slots.Capacity, Run.Attempts, resuming ? ", resuming from its checkpoint" : "");

                var progress = new LatestProgress();
                var token = cancel.Token;
                var engineConfig = checkpoints.Apply(config);
                var store = checkpoints.ForRun(Key);
                var work = training = Task.Factory.StartNew(
                    () => Execute(engineConfig, datasets, store, progress, token),
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
                Run.State = RunState.Completed;
                Run.Outcome = RunOutcomes.From(result);
                Run.Phase = "done";
                Run.Progress = 1;
                Run.ImagesSeen = result.ImagesSeen;
                Run.TrainLoss = result.FinalTrainLoss;
                Run.FinishedUtc = DateTime.UtcNow;
                logger.LogInformation("Run {Key} completed in {Seconds:F1} s", Key, (Run.FinishedUtc - Run.StartedUtc)?.TotalSeconds);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The activation is going away: the stored record still says queued or running, so the next
            // activation takes the run up again.
            logger.LogInformation("Run {Key} interrupted by deactivation; it resumes on its next activation", Key);
            return;
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
        finally
        {
            // The training thread has ended on every path that reaches here, so nothing reads the token any more.
            cancelling = null;
            cancel.Dispose();
            DelayDeactivation(TimeSpan.Zero);
        }

        try
        {
            await record.WriteStateAsync();
        }
        catch (InconsistentStateException e)
        {
            // Another activation owns the run now; its record is the one that counts.
            Supersede(e);
            return;
        }
        catch (Exception e)
        {
            // The activation still answers with the outcome; only its persistence is lost, so the checkpoint stays
            // for the next attempt.
            logger.LogError(e, "Run {Key} finished as {State} but its record could not be saved", Key, Run.State);
            return;
        }
        // Only now that the outcome is stored: a crash before this point must still find the checkpoint.
        checkpoints.Remove(Key);
        await StopWatchingForOrphaning();
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
    static RunResult Execute(RunConfig config, DatasetStore datasets, ICheckpointStore checkpoints, LatestProgress progress, CancellationToken cancel)
    {
        DatasetSplits? data = null;
        if (config.Method != RunMethod.Simulate)
        {
            progress.Report(new RunProgress("data", 0, 0, null));
            datasets.Ensure(config.Dataset, cancel: cancel);
            data = datasets.Load(config.Dataset);
        }
        return RunExecutor.Execute(config, data, progress, cancel, checkpoints);
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
