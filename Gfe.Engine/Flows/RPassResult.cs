using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// What one <see cref="DecoderRPass"/> gives at a point z in direction v, for the batch loss L = sum_i l_i.
/// </summary>
/// <param name="Gradient">grad_z L [B, 20].</param>
/// <param name="HessianVector">H v = R{grad_z L} [B, 20], per sample (the Hessian is block-diagonal over the batch).</param>
/// <remarks>d/dtheta [v . grad_z L], the pass's third output, is added into the caller's accumulator instead.</remarks>
public sealed record RPassResult(Tensor Gradient, Tensor HessianVector);
