using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// What one <see cref="DecoderRPass"/> gives at a point z in direction v, for the batch loss L = sum_i l_i.
/// </summary>
/// <param name="Gradient">grad_z L [B, 20].</param>
/// <param name="HessianVector">H v = R{grad_z L} [B, 20], per sample (the Hessian is block-diagonal over the batch).</param>
/// <param name="ParameterGradients">d/dtheta [v . grad_z L] for the 8 parameter tensors in decoder.parameters() order,
/// or null when not asked for.</param>
public sealed record RPassResult(Tensor Gradient, Tensor HessianVector, IReadOnlyList<Tensor>? ParameterGradients);
