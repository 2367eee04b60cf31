namespace Gfe.Engine.Models;

/// <summary>The nonlinearity between the decoder's (and the mirrored encoder's) affine layers.</summary>
public enum Activation { Elu, Relu, Tanh, Silu }

/// <summary>The reconstruction loss a run trains, encodes and evaluates with: <c>Bce</c> is the paper's per-feature
/// eps-BCE on logits (data in [0,1]); <c>Mse</c> the mean squared error on a linear output (real-valued data).</summary>
public enum LossKind { Bce, Mse }

/// <summary>
/// The shape of a GFE model as plain data: latent width, hidden widths, output width (the data's feature count), the
/// activation between layers and the loss. The decoder is latent -> hidden[0] -> ... -> hidden[^1] -> output; the AE's
/// encoder mirrors it. Every part of the engine that builds or evaluates a decoder (torch modules, the native kernel,
/// the flows and adjoints) takes one of these, so they cannot disagree about the model.
/// </summary>
public sealed record ModelShape(int LatentDim, IReadOnlyList<int> Hidden, int OutputDim, Activation Activation, LossKind Loss)
{
    /// <summary>The paper's model: 20-150-300-600-784, ELU, eps-BCE.</summary>
    public static ModelShape Paper { get; } = new(20, [150, 300, 600], 784, Activation.Elu, LossKind.Bce);

    /// <summary>Every layer width in order: latent, hidden..., output.</summary>
    public IReadOnlyList<int> Widths => [LatentDim, .. Hidden, OutputDim];

    /// <summary>The number of affine layers (hidden widths + 1).</summary>
    public int LayerCount => Hidden.Count + 1;

    /// <summary>Trainable decoder parameters (weights and biases).</summary>
    public long DecoderParameters
    {
        get
        {
            var w = Widths;
            long total = 0;
            for (int l = 0; l + 1 < w.Count; l++) total += (long)w[l] * w[l + 1] + w[l + 1];
            return total;
        }
    }

    // Records compare lists by reference; a shape is a value.
    public bool Equals(ModelShape? other) =>
        other is not null && LatentDim == other.LatentDim && OutputDim == other.OutputDim &&
        Activation == other.Activation && Loss == other.Loss && Hidden.SequenceEqual(other.Hidden);

    public override int GetHashCode() =>
        HashCode.Combine(LatentDim, OutputDim, Activation, Loss, string.Join(",", Hidden));
}
