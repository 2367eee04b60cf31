using static TorchSharp.torch;

namespace Gfe.Engine.Benchmarks;

/// <summary>
/// One encoded batch and its work: latent steps (for AMD, trials; per-sample, rounds of decoder passes) and the image
/// rows that went through decoder forwards and input-gradient backwards (for the FLOP count).
/// </summary>
public sealed record LatentEncoding(Tensor Latent, long Steps, long ForwardRows, long BackwardRows);
