using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// One way a run reports its test loss (a result column, <see cref="Runs.Evaluations"/>): how it reconstructs a batch
/// of test data. <paramref name="Reconstruct"/> maps data [b, D] to the decoder's output [b, D], drawing any latent
/// starts from the given generator and adding any AMD work to the given tally. <paramref name="TestShare"/> is its
/// share of the test progress bar.
/// </summary>
public sealed record RunEvaluation(string Name, Func<Tensor, Generator, AmdTally, Tensor> Reconstruct, double TestShare = 1);
