using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Models;

/// <summary>
/// The autoencoder baseline: <see cref="Encoder"/> then <see cref="Decoder"/>, returning the decoder's output (logits for BCE). The encoder is
/// built first, as in the reference, so for the same seed the AE's decoder starts from other weights than a GFE
/// decoder does (docs/method.md §1).
/// </summary>
public sealed class Autoencoder : nn.Module<Tensor, Tensor>
{
    readonly Encoder encoder;
    readonly Decoder decoder;

    /// <summary>The paper's autoencoder.</summary>
    public Autoencoder(Generator generator) : this(ModelShape.Paper, generator)
    {
    }

    /// <summary>The encoder mirrors the decoder of <paramref name="shape"/>.</summary>
    public Autoencoder(ModelShape shape, Generator generator) : base(nameof(Autoencoder))
    {
        encoder = new Encoder(shape, generator);
        decoder = new Decoder(shape, generator);
        RegisterComponents();
    }

    public Encoder Encoder => encoder;

    /// <summary>The decoder alone, for the Mixed evaluation (AE decoder with AMD encoding).</summary>
    public Decoder Decoder => decoder;

    public override Tensor forward(Tensor images) => decoder.forward(encoder.forward(images));
}
