using Gfe.Engine.Models;
using static TorchSharp.torch;

namespace Gfe.Engine.Benchmarks;

/// <summary>
/// One latent solver as the benchmark runs it: encode images [B, 784] from z0 [B, 20] through a decoder. To bench a
/// new solver (RK4, Nesterov ...), add an entry to <see cref="SolverBenchmark.Solvers"/>.
/// </summary>
/// <param name="Name">Short name for tables, CSV and <c>--solvers</c>.</param>
/// <param name="Description">What it is, for the command's help.</param>
/// <param name="Encode">Encodes one batch and reports the work done.</param>
public sealed record LatentSolverEntry(string Name, string Description, Func<Decoder, Tensor, Tensor, LatentEncoding> Encode);
