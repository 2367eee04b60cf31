using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gfe.Engine.Models;

/// <summary>
/// The decoder D(z; theta) of gradient-flow encoding: an MLP 20-150-300-600-784 with ELU (alpha = 1) between the
/// layers (engine-spec §1). It returns logits, with no output nonlinearity: the sigmoid lives in the
/// <see cref="Losses.ReconstructionLoss"/>. 700,234 parameters in 8 tensors.
/// </summary>
public sealed class Decoder : nn.Module<Tensor, Tensor>
{
    public const int LatentSize = 20;
    public const int ImageSize = 784;

    readonly Linear layer1;
    readonly Linear layer2;
    readonly Linear layer3;
    readonly Linear output;

    public Decoder(Generator generator) : base(nameof(Decoder))
    {
        layer1 = PyTorchInit.Linear(LatentSize, 150, generator);
        layer2 = PyTorchInit.Linear(150, 300, generator);
        layer3 = PyTorchInit.Linear(300, 600, generator);
        output = PyTorchInit.Linear(600, ImageSize, generator);
        RegisterComponents();
    }

    /// <summary>The four affine layers in order (ELU after the first three): what a hand-written pass such as the
    /// <see cref="Flows.DecoderRPass"/> needs; parameters() lists their weight and bias in the same order.</summary>
    public IReadOnlyList<Linear> Layers => [layer1, layer2, layer3, output];

    /// <summary>The model this decoder implements: widths, activation and loss.</summary>
    public ModelShape Shape => ModelShape.Paper;

    // ELU's alpha, scale and input scale as Scalars that live as long as the process: TorchSharp's implicit ones are
    // temporaries the GC may finalize while the native op still reads them, which crashed AMD solves under
    // allocation pressure ("toFloat ... Expected false to be true"). Same values as elu(alpha: 1.0).
    static readonly Scalar One = 1.0.ToScalar();

    /// <summary>Latents [B, 20] to pixel logits [B, 784].</summary>
    public override Tensor forward(Tensor z)
    {
        var h = layer1.forward(z).elu(One, One, One);
        h = layer2.forward(h).elu(One, One, One);
        h = layer3.forward(h).elu(One, One, One);
        return output.forward(h);
    }
}
