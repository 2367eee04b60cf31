using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gfe.Engine.Models;

/// <summary>
/// Linear layers initialised as PyTorch's nn.Linear does by default (docs/method.md §1): W and b both drawn from
/// U(-1/sqrt(fan_in), +1/sqrt(fan_in)). The draws come from the run's own generator, never the process-global one,
/// so runs on parallel threads stay reproducible (docs/platform-notes.md).
/// </summary>
public static class PyTorchInit
{
    public static Linear Linear(int inputs, int outputs, Generator generator)
    {
        double bound = 1.0 / Math.Sqrt(inputs);
        using var noGrad = torch.no_grad();
        // The weight is drawn before the bias, layer by layer, as nn.Linear.reset_parameters does.
        var weight = torch.empty(outputs, inputs).uniform_(-bound, bound, generator);
        var bias = torch.empty(outputs).uniform_(-bound, bound, generator);
        return nn.Linear(nn.Parameter(weight), nn.Parameter(bias));
    }
}
