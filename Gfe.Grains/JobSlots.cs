namespace Gfe.Grains;

/// <summary>
/// The job slots of one silo: at most <see cref="Capacity"/> runs train on it at once, each on its own thread.
/// Orleans has no per-silo concurrency cap, so the silo's <see cref="SlotPuller"/> reserves a slot for each run it
/// takes from the cluster's queue, and the run's grain, activated on this silo, claims that slot to train. Each held
/// slot is named by its run key, which lets the queue tell the runs this silo really holds from leases it lost.
/// </summary>
public sealed class JobSlots
{
    readonly Dictionary<string, JobSlot> held = new(StringComparer.Ordinal);

    /// <summary>Runs whose training ended and that only save their outcome now: their slot is free for the next
    /// run, but the run is still this silo's until its grain has told the queue.</summary>
    readonly HashSet<string> finishing = new(StringComparer.Ordinal);

    /// <summary>Released on every freed slot; the puller waits on it so that a freed slot is refilled at once.</summary>
    readonly SemaphoreSlim freed = new(0);

    long granted;

    public JobSlots(int capacity)
    {
        if (capacity < 1)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a silo needs at least one job slot");
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Slots held right now (reserved or training).</summary>
    public int InUse
    {
        get { lock (held) return held.Count; }
    }

    public int Free => Capacity - InUse;

    /// <summary>Slots claimed by a run grain since the silo started: one per run execution (tests count executions
    /// with it).</summary>
    public long Granted => Interlocked.Read(ref granted);

    /// <summary>The runs this silo holds right now: those holding a slot and those still saving their outcome.</summary>
    public IReadOnlyList<string> HeldKeys
    {
        get { lock (held) return [.. held.Keys, .. finishing]; }
    }

    /// <summary>Reserves a slot for the run; null if every slot is held or the run already holds one.</summary>
    public JobSlot? TryReserve(string runKey)
    {
        lock (held)
        {
            if (held.Count >= Capacity || held.ContainsKey(runKey) || finishing.Contains(runKey)) return null;
            var slot = new JobSlot(this, runKey);
            held.Add(runKey, slot);
            return slot;
        }
    }

    /// <summary>The slot reserved for the run, now owned by the run's grain; null if this silo reserved none for it
    /// (the run was not pulled by this silo) or it is claimed already.</summary>
    public JobSlot? Claim(string runKey)
    {
        JobSlot? slot;
        lock (held)
        {
            if (!held.TryGetValue(runKey, out slot) || !slot.TryClaim()) return null;
        }
        Interlocked.Increment(ref granted);
        return slot;
    }

    /// <summary>Waits until a slot is freed or the timeout passes, whichever is first.</summary>
    public async Task WaitForFreedSlot(TimeSpan timeout, CancellationToken cancel)
    {
        // One wait consumes every release that piled up, so a burst of freed slots wakes the puller once.
        await freed.WaitAsync(timeout, cancel);
        while (freed.CurrentCount > 0 && freed.Wait(0)) { }
    }

    /// <summary>Frees the slot for the next run while the run stays held (<see cref="JobSlot.Vacate"/>).</summary>
    internal void Vacate(JobSlot slot)
    {
        lock (held)
        {
            if (!held.TryGetValue(slot.RunKey, out var current) || current != slot) return;
            held.Remove(slot.RunKey);
            finishing.Add(slot.RunKey);
        }
        freed.Release();
    }

    internal void Release(JobSlot slot, bool vacated)
    {
        lock (held)
        {
            if (vacated)
            {
                finishing.Remove(slot.RunKey);
                return;
            }
            if (!held.TryGetValue(slot.RunKey, out var current) || current != slot) return;
            held.Remove(slot.RunKey);
        }
        freed.Release();
    }
}
