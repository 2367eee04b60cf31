using Microsoft.Extensions.Logging;
using Orleans.Runtime.Placement;
using Orleans.Runtime;

namespace Gfe.Grains;

/// <summary>
/// The silo's side of the pull scheduler: whenever the silo's <see cref="JobSlots"/> has a free slot, it asks the
/// cluster's <see cref="RunQueueGrain"/> for that many runs, reserves a slot for each and asks the run's grain to
/// train here (<see cref="IRunExecution"/>), with this silo as placement hint, so that a run grain that is not active
/// yet is activated here and one that a status poll activated elsewhere migrates here while it is still queued.
/// <para>A freed slot wakes the puller at once; an idle silo asks again every <see cref="IdlePoll"/>, which also
/// bounds how long a newly queued run waits for an idle slot.</para>
/// </summary>
public sealed class SlotPuller(
    JobSlots slots,
    SiloCapabilities capabilities,
    ILocalSiloDetails silo,
    IGrainFactory grains,
    ILogger<SlotPuller> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>How often a silo with free slots asks for work when nothing woke it.</summary>
    public static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(100);

    /// <summary>How often a run grain active on another silo is asked again while it migrates here.</summary>
    const int PlacementAttempts = 20;

    readonly CancellationTokenSource stopping = new();
    Task? loop;

    IRunQueueGrain Queue => grains.GetGrain<IRunQueueGrain>(RunQueueGrain.ClusterQueue);

    public void Participate(ISiloLifecycle lifecycle) =>
        // Active: the silo accepts grain calls; on the way down it stops pulling before its grains deactivate.
        lifecycle.Subscribe(nameof(SlotPuller), ServiceLifecycleStage.Active, Start, Stop);

    Task Start(CancellationToken _)
    {
        loop = Task.Run(() => PullWhileRunning(stopping.Token));
        return Task.CompletedTask;
    }

    async Task Stop(CancellationToken cancel)
    {
        stopping.Cancel();
        if (loop is not null)
        {
            try { await loop.WaitAsync(cancel); }
            catch (OperationCanceledException) { }
        }
    }

    async Task PullWhileRunning(CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            try
            {
                int free = slots.Free;
                if (free > 0)
                {
                    var runs = await Queue.Pull(new SlotRequest(silo.SiloAddress, capabilities.Gpus, free, [.. slots.HeldKeys]));
                    foreach (var key in runs)
                    {
                        if (slots.TryReserve(key) is { } slot)
                            _ = Launch(slot);
                        else
                            await Queue.Return(key, silo.SiloAddress);
                    }
                    // Granted as much as it asked for: more may wait, so ask again once a slot is free.
                    if (runs.Count > 0 && runs.Count == free) continue;
                }
                await slots.WaitForFreedSlot(IdlePoll, cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The queue's silo may be dying or the cluster starting: the next round tries again.
                logger.LogWarning("Slot puller: asking the run queue failed ({Error}); trying again", e.Message);
                try { await Task.Delay(IdlePoll * 5, cancel); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>Gets the leased run training in its reserved slot, or hands the slot and the run back.</summary>
    async Task Launch(JobSlot slot)
    {
        var key = slot.RunKey;
        var run = grains.GetGrain<IRunExecution>(key);
        try
        {
            for (int attempt = 1; attempt <= PlacementAttempts; attempt++)
            {
                RequestContext.Set(IPlacementDirector.PlacementHintKey, silo.SiloAddress);
                var answer = await run.Execute(silo.SiloAddress);
                switch (answer)
                {
                    case ExecutionAnswer.Started:
                        return;
                    case ExecutionAnswer.AlreadyTraining:
                        slot.Dispose();
                        return;
                    case ExecutionAnswer.NothingToRun:
                        await Queue.Done(key);
                        slot.Dispose();
                        return;
                }
                // Elsewhere: the grain is migrating here. A call that arrives while it moves is forwarded to the new
                // activation, so the first retry goes at once; later ones back off.
                if (attempt > 1) await Task.Delay(TimeSpan.FromMilliseconds(5 * attempt));
            }
            logger.LogWarning("Run {Key} could not be placed on this silo; it goes back to the queue", key);
        }
        catch (Exception e)
        {
            // A timeout may hide a grain that did start: then it claimed the slot, and the slot is its to free.
            if (slot.Claimed) return;
            logger.LogWarning("Run {Key} could not be started on this silo ({Error}); it goes back to the queue", key, e.Message);
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
        try { await Queue.Return(key, silo.SiloAddress); }
        catch (Exception e) { logger.LogWarning("Run {Key}: the queue did not take it back ({Error}); it is taken back at the next pull", key, e.Message); }
        slot.Dispose();
    }
}
