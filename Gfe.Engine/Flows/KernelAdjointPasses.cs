using Gfe.Engine.Kernels;
using Gfe.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// The exact adjoints' decoder work on the native <see cref="DecoderKernel"/> (flow.kernel native): grad_z L by the
/// kernel's forward and backward, H v and the parameter part by <see cref="DecoderKernel.RPass"/>, the integral summed
/// in float arrays on the host and handed to torch once at the end. Only z, v and H v cross into torch per pass.
/// Made by <see cref="KernelFlows.AdjointPasses"/>, which shares its kernel; one batch of images per instance.
/// </summary>
public sealed class KernelAdjointPasses : IAdjointPasses
{
    readonly DecoderKernel kernel;
    readonly Tensor[] parameters;
    readonly float[] x;
    readonly float[][] sums;
    readonly int count, latent;
    readonly float[] gradient, hessianVector, losses, norms;

    internal KernelAdjointPasses(DecoderKernel kernel, Decoder decoder, Tensor images)
    {
        var shape = decoder.Shape;
        if (images.dim() != 2 || images.shape[1] != shape.OutputDim || images.shape[0] < 1)
            throw new ArgumentException($"adjoint images must be [B, {shape.OutputDim}] with B >= 1, not [{string.Join(", ", images.shape)}]", nameof(images));
        this.kernel = kernel;
        kernel.Load(decoder);
        parameters = decoder.parameters().ToArray();
        sums = parameters.Select(p => new float[p.numel()]).ToArray();
        count = (int)images.shape[0];
        latent = shape.LatentDim;
        x = KernelFlows.Host(images);
        gradient = new float[count * latent];
        hessianVector = new float[count * latent];
        losses = new float[count];
        norms = new float[count];
    }

    public Tensor Gradient(Tensor z)
    {
        kernel.Forward(Rows(z), x, count, losses);
        kernel.Gradient(gradient, norms);
        return KernelFlows.Latents(gradient, latent, z.device);
    }

    public Tensor HessianVector(Tensor z, Tensor v)
    {
        kernel.RPass(Rows(z), Rows(v), x, count, gradient, hessianVector);
        return KernelFlows.Latents(hessianVector, latent, z.device);
    }

    public Tensor Accumulate(Tensor z, Tensor v, double weight)
    {
        kernel.RPass(Rows(z), Rows(v), x, count, gradient, hessianVector, sums, (float)weight);
        return KernelFlows.Latents(hessianVector, latent, z.device);
    }

    public Tensor[] Integral() => parameters
        .Select((p, j) =>
        {
            using var wrapped = torch.tensor(sums[j], p.shape);
            return wrapped.to(p.device).clone();
        })
        .ToArray();

    float[] Rows(Tensor values)
    {
        if (values.dim() != 2 || values.shape[0] != count || values.shape[1] != latent)
            throw new ArgumentException($"adjoint latents must be [{count}, {latent}], not [{string.Join(", ", values.shape)}]");
        return KernelFlows.Host(values);
    }
}
