using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gfe.Engine.Models;

/// <summary>
/// The autoencoder's encoder, the exact mirror of the <see cref="Decoder"/>: output -> hidden[^1] -> ... -> hidden[0]
/// -> latent with the shape's activation between the layers and none on the latent (docs/method.md §1; the paper's
/// 784-600-300-150-20 with ELU, 699,470 parameters).
/// </summary>
public sealed class Encoder : nn.Module<Tensor, Tensor>
{
    readonly Linear[] layers;
    readonly Activation activation;

    /// <summary>The paper's encoder.</summary>
    public Encoder(Generator generator) : this(ModelShape.Paper, generator)
    {
    }

    public Encoder(ModelShape shape, Generator generator) : base(nameof(Encoder))
    {
        activation = shape.Activation;
        var widths = shape.Widths.Reverse().ToArray();
        layers = new Linear[shape.LayerCount];
        for (int l = 0; l < layers.Length; l++)
        {
            layers[l] = PyTorchInit.Linear(widths[l], widths[l + 1], generator);
            // The paper's module names (layer1..3, latent), kept so that saved weights and checkpoints still load.
            register_module(l == layers.Length - 1 ? "latent" : $"layer{l + 1}", layers[l]);
        }
    }

    /// <summary>Data [B, outputDim] to latents [B, latentDim].</summary>
    public override Tensor forward(Tensor images)
    {
        var h = images;
        for (int l = 0; l + 1 < layers.Length; l++)
            h = ActivationFunctions.Apply(activation, layers[l].forward(h));
        return layers[^1].forward(h);
    }
}
