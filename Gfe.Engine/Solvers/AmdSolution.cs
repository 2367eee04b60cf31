using Gfe.Engine.Runs;
using static TorchSharp.torch;

namespace Gfe.Engine.Solvers;

/// <summary>What one AMD solve returns: the encoding z* (detached, [B, 20]), the work done, and the final flow time.</summary>
public sealed record AmdSolution(Tensor Latent, AmdStatistics Statistics, double FinalTime);
