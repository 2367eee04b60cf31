namespace Gfe.Engine.Runs;

/// <summary>How the AMD solver couples the images of a batch (docs/method.md §3c, §6.1/6.2).</summary>
public enum AmdMode
{
    /// <summary>
    /// The reference (PARITY): one t, one dt and one convergence flag for the whole batch; a trial is accepted only if
    /// every image passes the decrease test. z* then depends on the batch size and on the batch's other images.
    /// </summary>
    Batch,

    /// <summary>
    /// Each image is its own flow problem (the paper's Algorithm 1, docs/method.md §6.1): its own t, dt, loss history,
    /// convergence and fallback, exactly the batch-coupled algorithm with B = 1. Finished images stop costing work.
    /// </summary>
    PerSample,
}
