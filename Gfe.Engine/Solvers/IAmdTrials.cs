using static TorchSharp.torch;

namespace Gfe.Engine.Solvers;

/// <summary>
/// The decoder side of one AMD solve, for <see cref="AmdStepRule"/>: it holds each image's current point z_i and
/// gradient g_i, evaluates trial points, and keeps an accepted trial's point and gradient. The rule holds everything
/// else (times, steps, losses, decisions, statistics), so the torch ops (<see cref="TorchAmdTrials"/>) and the host
/// kernel (<see cref="KernelAmdTrials"/>) cannot disagree about the algorithm, only about float rounding.
/// </summary>
interface IAmdTrials
{
    /// <summary>The loss l_i and gradient at z0 for every image (before_integrate); writes the losses.</summary>
    void Start(Span<float> losses);

    /// <summary>
    /// The trial points z1_r = z_i - step_r * g_i for the images <paramref name="rows"/> (ascending; one trial row
    /// each) and their losses l_i(z1_r). <paramref name="sharedStep"/>: every row has the same step (batch-coupled),
    /// which the torch path multiplies as one scalar, as the reference does.
    /// </summary>
    void Probe(ReadOnlySpan<int> rows, ReadOnlySpan<float> steps, bool sharedStep, Span<float> losses);

    /// <summary>||grad l(z1_r)||^2 for the trial rows with <paramref name="needed"/> set (the others are left as they
    /// are); the gradients are kept for <see cref="Accept"/>. At most once per probe.</summary>
    void Gradient(ReadOnlySpan<bool> needed, Span<float> normsSquared);

    /// <summary>The accepted trial rows (ascending) become their images' current points, with their gradients.</summary>
    void Accept(ReadOnlySpan<int> trialRows);

    /// <summary>The current points of every image [B, latent] (a trajectory recorder copies it).</summary>
    Tensor Points();

    /// <summary>The current point of image <paramref name="row"/> [1, latent].</summary>
    Tensor Point(int row);

    /// <summary>z* detached, moved out of the solve's scopes to the caller's; ends the solve.</summary>
    Tensor Final();

    /// <summary>Image rows through every decoder forward so far (cost model, docs/method.md §7).</summary>
    long ForwardRows { get; }

    /// <summary>Image rows through every input-gradient backward so far.</summary>
    long BackwardRows { get; }
}
