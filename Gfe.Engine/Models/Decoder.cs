using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gfe.Engine.Models;

/// <summary>
/// The decoder D(z; theta) of gradient-flow encoding: an MLP latent -> hidden[0] -> ... -> hidden[^1] -> output with
/// the <see cref="ModelShape"/>'s activation between the layers (docs/method.md §1; the paper's 20-150-300-600-784 with
/// ELU by default, 700,234 parameters in 8 tensors). It returns the raw output, with no output nonlinearity: for the
/// BCE loss these are logits and the sigmoid lives in the <see cref="Losses.ReconstructionLoss"/>; for MSE they are
/// the reconstruction itself.
/// </summary>
public sealed class Decoder : nn.Module<Tensor, Tensor>
{
    /// <summary>The paper's latent width (<see cref="ModelShape.Paper"/>); a run's is <see cref="Shape"/>.LatentDim.</summary>
    public const int LatentSize = 20;

    /// <summary>The paper's output width, a 28x28 image; a run's is <see cref="Shape"/>.OutputDim.</summary>
    public const int ImageSize = 784;

    readonly Linear[] layers;

    /// <summary>The paper's decoder.</summary>
    public Decoder(Generator generator) : this(ModelShape.Paper, generator)
    {
    }

    public Decoder(ModelShape shape, Generator generator) : base(nameof(Decoder))
    {
        Shape = shape;
        var widths = shape.Widths;
        layers = new Linear[shape.LayerCount];
        for (int l = 0; l < layers.Length; l++)
        {
            layers[l] = PyTorchInit.Linear(widths[l], widths[l + 1], generator);
            // The paper's module names (layer1..3, output), kept so that saved weights and checkpoints still load.
            register_module(l == layers.Length - 1 ? "output" : $"layer{l + 1}", layers[l]);
        }
    }

    /// <summary>The affine layers in order (the activation after all but the last): what a hand-written pass such as
    /// the <see cref="Flows.DecoderRPass"/> or the native kernel needs; parameters() lists their weight and bias in
    /// the same order.</summary>
    public IReadOnlyList<Linear> Layers => layers;

    /// <summary>The model this decoder implements: widths, activation and loss.</summary>
    public ModelShape Shape { get; }

    /// <summary>Latents [B, latentDim] to outputs [B, outputDim] (logits for BCE).</summary>
    public override Tensor forward(Tensor z)
    {
        var h = z;
        for (int l = 0; l + 1 < layers.Length; l++)
            h = ActivationFunctions.Apply(Shape.Activation, layers[l].forward(h));
        return layers[^1].forward(h);
    }
}
