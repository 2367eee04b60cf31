namespace Gfe.Grains;

/// <summary>
/// How grain state writes wait out a storage outage (Redis restarting, a network blip): the first retry soon, then
/// doubling delays up to <see cref="MaxDelay"/>, for as long as the caller's token allows. There is no attempt limit:
/// a run's record must outlive an outage of minutes, and what ends the wait is the activation or the silo stopping.
/// </summary>
public sealed record StorageRetry(TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    public static StorageRetry Default { get; } = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2));

    /// <summary>The wait after the given number of failed attempts (1 = after the first failure).</summary>
    public TimeSpan DelayAfter(int failures)
    {
        var delay = FirstDelay * Math.Pow(2, Math.Min(failures - 1, 30));
        return delay < MaxDelay ? delay : MaxDelay;
    }
}
