namespace Gfe.Grains;

/// <summary>One held job slot of <see cref="JobSlots"/>, reserved for one run; disposing it (once or more) frees the
/// slot exactly once.</summary>
public sealed class JobSlot : IDisposable
{
    JobSlots? owner;
    int claimed;
    int vacated;

    internal JobSlot(JobSlots owner, string runKey)
    {
        this.owner = owner;
        RunKey = runKey;
    }

    public string RunKey { get; }

    /// <summary>Whether the run's grain took the slot to train: from then on the grain, not the puller, frees it.</summary>
    public bool Claimed => Volatile.Read(ref claimed) == 1;

    internal bool TryClaim() => Interlocked.Exchange(ref claimed, 1) == 0;

    /// <summary>The run's training has ended: the slot goes to the next run at once, while this run (still held, see
    /// <see cref="JobSlots.HeldKeys"/>) saves its outcome and tells the queue. Dispose afterwards.</summary>
    public void Vacate()
    {
        if (Volatile.Read(ref owner) is { } slots && Interlocked.Exchange(ref vacated, 1) == 0) slots.Vacate(this);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref owner, null) is { } slots) slots.Release(this, Volatile.Read(ref vacated) == 1);
    }
}
