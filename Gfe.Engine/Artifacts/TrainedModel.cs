using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Artifacts;

/// <summary>
/// The weights of a trained run, copied off the device: the decoder's, and for an AE also the encoder's. Each MLP's
/// tensors are named as PyTorch names the parameters of an <c>nn.Sequential</c> of Linear layers with an activation
/// between them (<c>0.weight</c>, <c>0.bias</c>, <c>2.weight</c>, ...), so <c>load_state_dict</c> takes them as they are.
/// </summary>
public sealed record TrainedModel(IReadOnlyList<NamedTensor> Decoder, IReadOnlyList<NamedTensor>? Encoder)
{
    /// <summary>Copies the parameters of <paramref name="decoder"/> (and <paramref name="encoder"/>) in registration order.</summary>
    public static TrainedModel Capture(nn.Module decoder, nn.Module? encoder = null) =>
        new(Sequential(decoder), encoder is null ? null : Sequential(encoder));

    /// <summary>Layer widths of an MLP in order (input, hidden..., output), read off its weights [out, in].</summary>
    public static IReadOnlyList<int> Widths(IReadOnlyList<NamedTensor> mlp)
    {
        var weights = mlp.Where(t => t.Name.EndsWith(".weight", StringComparison.Ordinal)).ToList();
        return weights.Count == 0 ? [] : [weights[0].Shape[1], .. weights.Select(w => w.Shape[0])];
    }

    // Parameters come per layer as (weight, bias); layer k of the MLP is module index 2k of the Sequential (the
    // activations in between have no parameters).
    static IReadOnlyList<NamedTensor> Sequential(nn.Module module)
    {
        var tensors = new List<NamedTensor>();
        var layers = new List<string>();
        using var noGrad = torch.no_grad();
        foreach (var (name, parameter) in module.named_parameters())
        {
            int dot = name.LastIndexOf('.');
            var layer = dot < 0 ? "" : name[..dot];
            if (!layers.Contains(layer)) layers.Add(layer);
            var values = parameter.detach().cpu().to(ScalarType.Float32).data<float>().ToArray();
            tensors.Add(new NamedTensor($"{2 * layers.IndexOf(layer)}.{name[(dot + 1)..]}",
                parameter.shape.Select(d => (int)d).ToArray(), values));
        }
        return tensors;
    }
}
