using Gfe.Engine.Runs;
using static TorchSharp.torch;

namespace Gfe.Engine.Solvers;

/// <summary>
/// What one AMD solve returns: the encoding z* (detached, [B, 20]), the work done, and the final flow time (per-sample
/// mode: the latest image's). In per-sample mode the statistics count each image as one solve.
/// </summary>
public sealed record AmdSolution(Tensor Latent, AmdStatistics Statistics, double FinalTime)
{
    /// <summary>Each image's final flow time; in batch mode all equal <see cref="FinalTime"/>.</summary>
    public IReadOnlyList<double> SampleTimes { get; init; } = [];

    /// <summary>Image rows carried by all decoder passes of the trials (the probe's rows, once per round).</summary>
    public long RowsEvaluated { get; init; }

    /// <summary>Image rows through every decoder forward of the solve, z0's included (cost model, docs/method.md §7).</summary>
    public long ForwardRows { get; init; }

    /// <summary>Image rows through every input-gradient backward of the solve, z0's included.</summary>
    public long BackwardRows { get; init; }
}
