using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Solvers;

/// <summary>
/// The trial point z1 = z - dt * g of one AMD trial and the losses l_i(z1) there. The gradient at z1 is computed only
/// when asked for, because the decrease test needs it only for images whose loss went down (docs/method.md §6.5).
/// Its tensors belong to the caller's dispose scope.
/// </summary>
sealed class AmdTrialPoint
{
    readonly Decoder decoder;
    readonly Tensor images;
    readonly Tensor point;
    readonly AmdPasses passes;
    readonly Tensor? leaf;            // ReuseProbe: the probe's autograd input
    readonly Tensor? probeLosses;     // ReuseProbe: the probe's losses, graph attached
    readonly Tensor? everyGradient;   // EveryTrial: the gradient computed with the losses

    AmdTrialPoint(Decoder decoder, Tensor images, Tensor point, AmdPasses passes, float[] losses,
        Tensor? leaf = null, Tensor? probeLosses = null, Tensor? everyGradient = null)
    {
        this.decoder = decoder;
        this.images = images;
        this.point = point;
        this.passes = passes;
        Losses = losses;
        this.leaf = leaf;
        this.probeLosses = probeLosses;
        this.everyGradient = everyGradient;
        ForwardRows = losses.Length;
        BackwardRows = everyGradient is null ? 0 : losses.Length;
    }

    /// <summary>l_i(z1) for every row, on the host as float32.</summary>
    public float[] Losses { get; }

    /// <summary>Image rows this trial carried through decoder forwards so far (the work, for the cost model).</summary>
    public long ForwardRows { get; private set; }

    /// <summary>Image rows this trial carried through input-gradient backwards so far.</summary>
    public long BackwardRows { get; private set; }

    /// <summary>Forwards <paramref name="point"/> [n, 20] through the decoder against <paramref name="images"/> [n, 784].</summary>
    public static AmdTrialPoint Probe(Decoder decoder, Tensor images, Tensor point, AmdPasses passes)
    {
        switch (passes)
        {
            case AmdPasses.EveryTrial:
            {
                var (gradient, losses, _) = AmdSolver.LossAndGradient(decoder, images, point);
                return new AmdTrialPoint(decoder, images, point, passes, losses, everyGradient: gradient);
            }
            case AmdPasses.ReuseProbe:
            {
                using var gradMode = torch.enable_grad();
                var leaf = point.detach().requires_grad_(true);
                var losses = ReconstructionLoss.PerImage(decoder.Shape.Loss, decoder.forward(leaf), images);
                return new AmdTrialPoint(decoder, images, point, passes, AmdSolver.ToHost(losses.detach()), leaf, losses);
            }
            default:
            {
                using var noGrad = torch.no_grad();
                var losses = ReconstructionLoss.PerImage(decoder.Shape.Loss, decoder.forward(point), images);
                return new AmdTrialPoint(decoder, images, point, passes, AmdSolver.ToHost(losses));
            }
        }
    }

    /// <summary>
    /// grad l_i(z1) [r, 20] and ||grad l_i(z1)||^2 for the given rows (null: all rows), in the order given.
    /// </summary>
    public (Tensor Gradient, float[] NormsSquared) Gradient(long[]? rows)
    {
        Tensor gradient;
        if (passes == AmdPasses.Recompute)
        {
            // Only the rows that need it go through the decoder again, this time with autograd.
            var rowImages = rows is null ? images : images.index_select(0, torch.tensor(rows, device: images.device));
            var rowPoint = rows is null ? point : point.index_select(0, torch.tensor(rows, device: point.device));
            ForwardRows += rowPoint.shape[0];
            BackwardRows += rowPoint.shape[0];
            return Norms(AmdSolver.LossAndGradient(decoder, rowImages, rowPoint).Gradient);
        }
        if (passes == AmdPasses.ReuseProbe)
        {
            if (leaf is null || probeLosses is null || !leaf.requires_grad)
                throw new InvalidOperationException("AMD probe lost its autograd graph; cannot take the flow gradient");
            using var gradMode = torch.enable_grad();
            gradient = torch.autograd.grad([probeLosses.sum()], [leaf])[0];
            BackwardRows += Losses.Length;
        }
        else
            gradient = everyGradient ?? throw new InvalidOperationException("AMD trial has no gradient");
        return Norms(rows is null ? gradient : gradient.index_select(0, torch.tensor(rows, device: gradient.device)));
    }

    static (Tensor, float[]) Norms(Tensor gradient)
    {
        using var noGrad = torch.no_grad();
        // g * g rather than square(), which TorchSharp runs as pow with a temporary Scalar exponent (ScalarSafe).
        return (gradient, AmdSolver.ToHost((gradient * gradient).sum(1)));
    }
}
