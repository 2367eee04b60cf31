using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gfe.Engine.Models;

/// <summary>
/// The autoencoder's encoder, the exact mirror of the <see cref="Decoder"/>: 784-600-300-150-20 with ELU between the
/// layers and no activation on the latent (engine-spec §1). 699,470 parameters.
/// </summary>
public sealed class Encoder : nn.Module<Tensor, Tensor>
{
    readonly Linear layer1;
    readonly Linear layer2;
    readonly Linear layer3;
    readonly Linear latent;

    public Encoder(Generator generator) : base(nameof(Encoder))
    {
        layer1 = PyTorchInit.Linear(Decoder.ImageSize, 600, generator);
        layer2 = PyTorchInit.Linear(600, 300, generator);
        layer3 = PyTorchInit.Linear(300, 150, generator);
        latent = PyTorchInit.Linear(150, Decoder.LatentSize, generator);
        RegisterComponents();
    }

    /// <summary>Images [B, 784] to latents [B, 20].</summary>
    public override Tensor forward(Tensor images)
    {
        // ScalarSafe's ELU: nn.functional.elu's alpha and scales are temporary Scalars the GC may free mid-call.
        var h = layer1.forward(images).Elu();
        h = layer2.forward(h).Elu();
        h = layer3.forward(h).Elu();
        return latent.forward(h);
    }
}
