namespace Gfe.Grains;

/// <summary>One held job slot of <see cref="JobSlots"/>; disposing it (once or more) frees the slot exactly once.</summary>
public sealed class JobSlot : IDisposable
{
    JobSlots? owner;

    internal JobSlot(JobSlots owner) => this.owner = owner;

    public void Dispose() => Interlocked.Exchange(ref owner, null)?.Release();
}
