namespace Gfe.Grains;

/// <summary>
/// The job slots of one silo: at most <see cref="Capacity"/> runs train on it at once, each on its own thread.
/// Orleans has no per-silo concurrency cap, so every run grain takes a slot before it trains; queued runs get slots
/// in the order they asked as earlier runs finish.
/// </summary>
public sealed class JobSlots
{
    readonly SemaphoreSlim free;
    int inUse;
    long granted;

    public JobSlots(int capacity)
    {
        if (capacity < 1)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a silo needs at least one job slot");
        Capacity = capacity;
        free = new SemaphoreSlim(capacity, capacity);
    }

    public int Capacity { get; }

    /// <summary>Slots held right now.</summary>
    public int InUse => Volatile.Read(ref inUse);

    /// <summary>Slots handed out since the silo started: one per run execution (tests count executions with it).</summary>
    public long Granted => Interlocked.Read(ref granted);

    /// <summary>Waits for a free slot; dispose the returned slot to give it back.</summary>
    public async Task<JobSlot> AcquireAsync(CancellationToken cancel)
    {
        await free.WaitAsync(cancel);
        Interlocked.Increment(ref inUse);
        Interlocked.Increment(ref granted);
        return new JobSlot(this);
    }

    internal void Release()
    {
        Interlocked.Decrement(ref inUse);
        free.Release();
    }
}
