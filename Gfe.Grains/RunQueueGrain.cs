using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Gfe.Grains;

/// <summary>
/// The pull scheduler's one queue (key <see cref="ClusterQueue"/>): runs waiting for a job slot, oldest first, and
/// the leases of runs handed to silos. Silos with free slots pull (<see cref="SlotPuller"/>), so a slot never idles
/// while a run it may take waits, and no silo is handed more runs than it has free slots.
/// <para>Oldest first, except that a silo gets the runs whose grain it already hosts before the others.</para>
/// <para>GPU silos first: a GPU silo takes the runs that need a GPU, then any-device runs; a CPU silo takes
/// any-device runs only beyond what the GPU silos' free slots, as they reported them at their latest pull (an idle
/// silo pulls every 100 ms), can take at once.</para>
/// <para>Durability: the state lives in the "queue" storage, so with Redis it outlives this grain's silo; writes
/// wait out a storage outage (<see cref="StateWriter{T}"/>) while the queue goes on from memory. Leases of
/// silos that membership declared dead, and leases a silo no longer reports holding, go back to the front of the
/// queue at the next pull; the run's next activation resumes from its checkpoint.</para>
/// <para>Reentrant, so that a pull never waits behind a burst of submissions: every method changes the state before
/// its first await, and then waits (at most <see cref="AnswerWithin"/>) for a write that covers its change; writes
/// that pile up are merged into one.</para>
/// </summary>
[Reentrant]
public sealed class RunQueueGrain(
    [PersistentState("queue", RunQueueGrain.StorageName)] IPersistentState<RunQueueState> queue,
    IClusterMembershipService membership,
    IHostApplicationLifetime lifetime,
    ILogger<RunQueueGrain> logger) : Grain, IRunQueueGrain
{
    /// <summary>The key of the cluster's queue.</summary>
    public const long ClusterQueue = 0;

    /// <summary>The grain storage of the queue: Redis with redis clustering (the same keys as before it had a name of
    /// its own), else memory, also when run records are in a file, since the leases name silos of this process.</summary>
    public const string StorageName = "queue";

    /// <summary>A GPU silo's free slots count as waiting for work only this long after its pull: a silo that
    /// stopped pulling (it died, or it is full) must not hold runs back from CPU silos.</summary>
    static readonly TimeSpan GpuReportLifetime = TimeSpan.FromSeconds(3);

    /// <summary>A lease the holding silo does not report is only taken back once it is this old: the silo reports
    /// what it holds at its next pull, and a lease granted by the pull before must have reached it by then.</summary>
    static readonly TimeSpan LeaseGrace = TimeSpan.FromSeconds(2);

    /// <summary>Free GPU slots left after each GPU silo's latest pull; kept in memory only, as it is stale within
    /// <see cref="GpuReportLifetime"/> anyway.</summary>
    readonly Dictionary<SiloAddress, (int Free, DateTime AtUtc)> gpuSilos = [];

    /// <summary>Bumped by every change of the state; <see cref="saved"/> is the change the last finished write
    /// covered.</summary>
    long changes, saved;

    /// <summary>The write in flight, awaited by every change it covers and by later ones before they write.</summary>
    Task? writing;

    /// <summary>The keys of <see cref="RunQueueState.Waiting"/>, so that submitting and finishing each of a sweep's
    /// (up to 100 000) runs does not scan the whole queue.</summary>
    HashSet<string>? waitingKeys;

    /// <summary>The state the grain works on. Held apart from <see cref="queue"/> because a write that meets a
    /// version conflict reads the stored version through it for a moment, and other calls interleave meanwhile.</summary>
    RunQueueState? state;

    RunQueueState State => state ??= queue.State;

    /// <summary>Writes through storage outages, retrying until stored; on a version conflict this activation's
    /// state wins (there is one queue, and its memory is the truth while it is active).</summary>
    StateWriter<RunQueueState>? writer;

    /// <summary>Ends the retries of a write when the silo stops or the activation goes away.</summary>
    readonly CancellationTokenSource stopping = new();

    CancellationTokenRegistration siloStopping;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        siloStopping = lifetime.ApplicationStopping.Register(static s => ((CancellationTokenSource)s!).Cancel(), stopping);
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        stopping.Cancel();
        await siloStopping.DisposeAsync();
    }

    HashSet<string> WaitingKeys => waitingKeys ??= State.Waiting.Select(w => w.Key).ToHashSet(StringComparer.Ordinal);

    public async Task Enqueue(QueuedRun run)
    {
        if (State.Leases.ContainsKey(run.Key) || !WaitingKeys.Add(run.Key)) return;
        State.Waiting.Add(run);
        await Save();
    }

    public Task<List<string>> Pull(SlotRequest request)
    {
        bool changed = TakeBackLostLeases(request);
        var granted = new List<string>();
        int free = request.FreeSlots;
        if (request.Gpus > 0)
        {
            // Runs that need a GPU first: only a GPU silo can take them, while any-device runs have the CPU silos.
            Grant(HereFirst(w => w.NeedsGpu).Take(free).ToList());
            Grant(HereFirst(w => !w.NeedsGpu).Take(free - granted.Count).ToList());
            gpuSilos[request.Silo] = (free - granted.Count, DateTime.UtcNow);
        }
        else
        {
            int anyDevice = State.Waiting.Count(w => !w.NeedsGpu);
            Grant(HereFirst(w => !w.NeedsGpu).Take(Math.Min(free, Math.Max(0, anyDevice - FreeGpuSlots()))).ToList());
        }
        // Answered before the lease is stored: should this grain's silo die first, the stored queue still has the
        // runs waiting and hands them out again, and their grains, one activation each, turn the second puller away.
        if (changed || granted.Count > 0)
            _ = SaveInBackground();
        return Task.FromResult(granted);

        // Oldest first, but runs whose grain is already active on the asking silo before the others: those start
        // without moving their grain, which saves the silo several calls per run.
        IEnumerable<QueuedRun> HereFirst(Func<QueuedRun, bool> eligible) =>
            State.Waiting.Where(w => eligible(w) && request.Silo.Equals(w.ActiveOn))
                .Concat(State.Waiting.Where(w => eligible(w) && !request.Silo.Equals(w.ActiveOn)));

        void Grant(List<QueuedRun> runs)
        {
            foreach (var run in runs)
            {
                State.Waiting.Remove(run);
                WaitingKeys.Remove(run.Key);
                State.Leases[run.Key] = new RunLease(run, request.Silo, DateTime.UtcNow);
                granted.Add(run.Key);
            }
        }
    }

    public async Task Done(string runKey)
    {
        bool leased = State.Leases.Remove(runKey);
        bool waiting = WaitingKeys.Remove(runKey) && State.Waiting.RemoveAll(w => w.Key == runKey) > 0;
        if (waiting || leased)
            await Save();
    }

    public async Task Return(string runKey, SiloAddress silo)
    {
        if (!State.Leases.TryGetValue(runKey, out var lease) || !lease.Silo.Equals(silo)) return;
        State.Leases.Remove(runKey);
        if (WaitingKeys.Add(runKey)) State.Waiting.Insert(0, lease.Run with { ActiveOn = silo });
        await Save();
    }

    public Task<RunQueueState> Snapshot() => Task.FromResult(new RunQueueState
    {
        Waiting = [.. State.Waiting],
        Leases = new Dictionary<string, RunLease>(State.Leases),
    });

    /// <summary>How long a change waits for its write before the call answers anyway. Normally the write is done well
    /// within it, so the change is durable when the caller hears back; through a storage outage the change lives in
    /// this activation's memory (the queue's truth while it is active) and is written when the storage is back, so
    /// that neither run grains nor a stopping silo wait on the queue for the length of the outage.</summary>
    static readonly TimeSpan AnswerWithin = TimeSpan.FromSeconds(2);

    /// <summary>Returns once a write that started after the caller's change has finished, or after
    /// <see cref="AnswerWithin"/> while that write still waits for the storage.</summary>
    async Task Save()
    {
        long mine = ++changes;
        var saving = WriteUntilSaved(mine);
        if (await Task.WhenAny(saving, Task.Delay(AnswerWithin)) == saving)
            await saving;
        else
            _ = saving.ContinueWith(t => logger.LogWarning("Run queue: its state could not be saved ({Error})", t.Exception?.GetBaseException().Message),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Current);
    }

    /// <summary>One write at a time (the storage's ETag allows no other); changes made while it runs share the next.</summary>
    async Task WriteUntilSaved(long change)
    {
        while (saved < change)
        {
            if (writing is null || writing.IsCompleted) writing = Write(changes);
            await writing;
        }
    }

    async Task SaveInBackground()
    {
        try
        {
            await Save();
        }
        catch (Exception e)
        {
            // The next change writes the whole state again.
            logger.LogWarning("Run queue: its state could not be saved ({Error})", e.Message);
        }
    }

    async Task Write(long covering)
    {
        try
        {
            await Coalesce();
            covering = changes;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            queue.State = State;
            writer ??= new StateWriter<RunQueueState>(queue, WriteConflict.Overwrite, logger, "Run queue: its state");
            await writer.Write(stopping.Token);
            lastWrite = clock.Elapsed;
            saved = Math.Max(saved, covering);
        }
        finally
        {
            writing = null;
        }
    }

    /// <summary>How long the latest write took: it grows with the queue (every write stores all of it).</summary>
    TimeSpan lastWrite;

    /// <summary>A long queue is written less often: before a write, wait twice as long as the last one took, so that
    /// the changes made meanwhile share it and writing takes at most a third of the grain's time. Writing back to
    /// back, a queue of 10 000 runs spent most of a local sweep's CPU on its own state, and slots waited for pulls.
    /// A short queue (a write under a millisecond) is written at once, and no write waits more than
    /// <see cref="MaxCoalesce"/> (a write that took long because the storage was down says nothing of the queue).</summary>
    Task Coalesce() => lastWrite > TimeSpan.FromMilliseconds(1)
        ? Task.Delay(TimeSpan.FromTicks(Math.Min(2 * lastWrite.Ticks, MaxCoalesce.Ticks)))
        : Task.CompletedTask;

    static readonly TimeSpan MaxCoalesce = TimeSpan.FromSeconds(1);

    /// <summary>Free slots of GPU silos that pulled recently and are alive: the any-device runs kept for them.</summary>
    int FreeGpuSlots()
    {
        var now = DateTime.UtcNow;
        var members = membership.CurrentSnapshot;
        return gpuSilos
            .Where(s => now - s.Value.AtUtc <= GpuReportLifetime && members.GetSiloStatus(s.Key) == SiloStatus.Active)
            .Sum(s => s.Value.Free);
    }

    /// <summary>
    /// Puts back at the front the runs leased to silos that membership declared dead, and the runs the asking silo
    /// no longer holds (it lost them without being able to say so). Returns whether anything moved.
    /// </summary>
    bool TakeBackLostLeases(SlotRequest request)
    {
        var members = membership.CurrentSnapshot;
        var held = request.HeldRuns.ToHashSet(StringComparer.Ordinal);
        var now = DateTime.UtcNow;
        var lost = State.Leases.Values
            .Where(l => members.GetSiloStatus(l.Silo) == SiloStatus.Dead
                        || (l.Silo.Equals(request.Silo) && !held.Contains(l.Run.Key) && now - l.GrantedUtc > LeaseGrace))
            .OrderBy(l => l.GrantedUtc)
            .ToList();
        foreach (var lease in lost)
        {
            logger.LogInformation("Run {Key} goes back to the queue: its silo {Silo} {Reason}", lease.Run.Key, lease.Silo,
                lease.Silo.Equals(request.Silo) ? "no longer holds it" : "was declared dead");
            State.Leases.Remove(lease.Run.Key);
        }
        State.Waiting.InsertRange(0, lost.Select(l => l.Run).Where(r => WaitingKeys.Add(r.Key)));
        return lost.Count > 0;
    }
}
