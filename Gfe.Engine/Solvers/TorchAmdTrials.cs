using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Solvers;

/// <summary>
/// AMD trials on TorchSharp ops (amd.kernel = torch): the decoder forward with autograd to the latent, in the passes
/// of <see cref="AmdPasses"/> (<see cref="AmdTrialPoint"/>). z and g stay tensors on the images' device; only losses
/// and squared gradient norms cross to the host. One instance is one solve: dispose it after <see cref="Final"/>.
/// </summary>
/// <remarks>
/// Scopes: the solve's tensors (z, g, the gathered images) live in a scope opened here; each probe opens a round
/// scope for its trial tensors, and an accepted trial's point and gradient move out of it into the solve's scope.
/// </remarks>
sealed class TorchAmdTrials : IAmdTrials, IDisposable
{
    readonly Decoder decoder;
    readonly Tensor images;
    readonly AmdPasses passes;
    readonly int count;
    readonly DisposeScope solveScope;
    DisposeScope? roundScope;
    Tensor z, g = null!;
    int[] gathered = [];           // the image rows activeImages holds
    Tensor activeImages;
    int[] rows = [];               // this round's image per trial row
    Tensor? z1, g1;
    AmdTrialPoint? point;
    int[] gradientRow = [];        // trial row -> row of g1
    long forwardRows, backwardRows;

    public TorchAmdTrials(Decoder decoder, Tensor images, Tensor z0, AmdPasses passes)
    {
        this.decoder = decoder;
        this.images = images;
        this.passes = passes;
        count = (int)images.shape[0];
        solveScope = torch.NewDisposeScope();
        // Rows of z are replaced in place, so it must not share storage with the caller's z0.
        z = z0.detach().clone();
        activeImages = images;
    }

    public long ForwardRows => forwardRows + (point?.ForwardRows ?? 0);

    public long BackwardRows => backwardRows + (point?.BackwardRows ?? 0);

    public void Start(Span<float> losses)
    {
        (g, var loss, _) = AmdSolver.LossAndGradient(decoder, images, z);
        loss.CopyTo(losses);
        forwardRows = backwardRows = count;
    }

    public void Probe(ReadOnlySpan<int> trialRows, ReadOnlySpan<float> steps, bool sharedStep, Span<float> losses)
    {
        EndRound();
        roundScope = torch.NewDisposeScope();
        rows = trialRows.ToArray();
        int n = rows.Length;
        bool all = n == count;
        using (torch.no_grad())
        {
            if (sharedStep && all)
            {
                // An explicit Scalar held to the end of the step: an implicit one is a temporary the GC may finalize
                // while the native op still reads it (see ReconstructionLoss).
                using var step = ((double)steps[0]).ToScalar();
                z1 = z.Minus(g.mul(step));
            }
            else
            {
                var index = all ? null : torch.tensor(rows.Select(i => (long)i).ToArray(), device: images.device);
                if (!rows.AsSpan().SequenceEqual(gathered))
                {
                    // The active set only shrinks, and rarely: gather the images again only when it changes.
                    if (!ReferenceEquals(activeImages, images)) activeImages.Dispose();
                    activeImages = all ? images : images.index_select(0, index!).MoveToOuterDisposeScope();
                    gathered = rows;
                }
                var za = all ? z : z.index_select(0, index!);
                var ga = all ? g : g.index_select(0, index!);
                // Each row's own step, already float32 as the reference casts its dt.
                var column = torch.tensor(steps.ToArray(), [n, 1], device: images.device);
                z1 = za.Minus(ga.mul(column));
            }
        }
        point = AmdTrialPoint.Probe(decoder, all ? images : activeImages, z1, passes);
        point.Losses.CopyTo(losses);
        g1 = null;
    }

    public void Gradient(ReadOnlySpan<bool> needed, Span<float> normsSquared)
    {
        if (point is null) throw new InvalidOperationException("AMD gradient asked before a probe");
        var wanted = new List<long>();
        for (int r = 0; r < needed.Length; r++)
            if (needed[r]) wanted.Add(r);
        float[] neededNorms;
        (g1, neededNorms) = point.Gradient(wanted.Count == needed.Length ? null : wanted.ToArray());
        gradientRow = new int[needed.Length];
        for (int k = 0; k < wanted.Count; k++)
        {
            normsSquared[(int)wanted[k]] = neededNorms[k];
            gradientRow[wanted[k]] = k;
        }
    }

    public void Accept(ReadOnlySpan<int> trialRows)
    {
        if (z1 is null || g1 is null) throw new InvalidOperationException("AMD accepted a trial without its gradient");
        using var noGrad = torch.no_grad();
        if (trialRows.Length == count)
        {
            // Every image accepted (batch-coupled): the trial's tensors become the current ones. Every row then had
            // its gradient computed, in order.
            z.Dispose();
            g.Dispose();
            z = z1.MoveToOuterDisposeScope();
            g = g1.MoveToOuterDisposeScope();
            z1 = g1 = null;
            return;
        }
        var accepted = trialRows.ToArray();
        var targets = torch.tensor(accepted.Select(r => (long)rows[r]).ToArray(), device: images.device);
        z.index_copy_(0, targets, z1.index_select(0, torch.tensor(accepted.Select(r => (long)r).ToArray(), device: images.device)));
        g.index_copy_(0, targets, g1.index_select(0, torch.tensor(accepted.Select(r => (long)gradientRow[r]).ToArray(), device: images.device)));
    }

    public Tensor Points() => z;

    public Tensor Point(int row) => z.narrow(0, row, 1);

    public Tensor Final()
    {
        EndRound();
        return z.detach().MoveToOuterDisposeScope();
    }

    /// <summary>Counts the finished round's rows and frees its tensors.</summary>
    void EndRound()
    {
        if (point is not null)
        {
            forwardRows += point.ForwardRows;
            backwardRows += point.BackwardRows;
            point = null;
        }
        roundScope?.Dispose();
        roundScope = null;
        z1 = g1 = null;
    }

    public void Dispose()
    {
        roundScope?.Dispose();
        solveScope.Dispose();
    }
}
