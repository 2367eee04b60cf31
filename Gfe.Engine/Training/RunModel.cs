using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// What a method (GFE-amd, AE, the fixed-grid flows) brings to the one run skeleton, <see cref="TorchRun"/>: the module
/// that RMSprop trains and checkpoints save, the batch loss L = sum_i l_i of a batch of training data, the evaluations
/// of the trained model, and the tally that the batch loss adds its AMD work to.
/// </summary>
public sealed record RunModel(
    nn.Module Module,
    Func<Tensor, Tensor> BatchLoss,
    IReadOnlyList<RunEvaluation> Evaluations,
    AmdTally TrainAmd,
    Func<Artifacts.TrainedModel> Trained) : IDisposable
{
    public void Dispose() => Module.Dispose();
}
