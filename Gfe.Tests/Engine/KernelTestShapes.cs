using Gfe.Engine.Data;
using Gfe.Engine.Models;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>The models the native kernel's tests run on: the paper's, the non-default one (latent 8,
/// [64, 32], tanh, mse), and small ones covering the other activations, both losses and ragged widths.</summary>
public static class KernelTestShapes
{
    public static TheoryData<string> Names => new() { "paper", "tanh-mse", "silu-bce", "relu-mse", "elu-mse-ragged" };

    public static ModelShape Named(string name) => name switch
    {
        "paper" => ModelShape.Paper,
        "tanh-mse" => new ModelShape(8, [64, 32], 784, Activation.Tanh, LossKind.Mse),
        "silu-bce" => new ModelShape(5, [40, 24], 100, Activation.Silu, LossKind.Bce),
        "relu-mse" => new ModelShape(6, [48], 50, Activation.Relu, LossKind.Mse),
        "elu-mse-ragged" => new ModelShape(3, [17, 33, 9], 37, Activation.Elu, LossKind.Mse),
        _ => throw new ArgumentException(name),
    };
}
