namespace Gfe.Engine.Search;

/// <summary>The early-stopping rule of a sweep.</summary>
public enum EarlyStopRule
{
    /// <summary>Asynchronous successive halving (ASHA): a configuration that reached a rung goes on to the next one
    /// once its replicate-mean metric is among the best floor(n / reduction) of the n configurations recorded at
    /// that rung so far; the others wait there (stopped) and may be promoted later as more configurations arrive.</summary>
    Asha,

    /// <summary>The median rule: a configuration that reaches a rung goes on at once if its replicate-mean metric is
    /// no worse than the median of the configurations recorded at that rung so far (itself included); otherwise it
    /// stops for good.</summary>
    Median,
}
