using Gfe.Engine.Kernels;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// The RK4 and Nesterov flows on the host <see cref="DecoderKernel"/> (flow.kernel = native): every right-hand side
/// grad_z L is one kernel forward and one backward to the latent, the RK4 stages are <see cref="HostFlow"/>'s float
/// loops, and only z0, the images and the result cross into torch. Encodes for training (approximate gradient), for the
/// test and, with the path kept, for the exact adjoint, whose gradients and R-passes then run natively too
/// (<see cref="AdjointPassSource.For"/>).
/// </summary>
/// <remarks>One instance per thread (one per run): the kernel's and the flow's buffers are reused between solves.</remarks>
public sealed class KernelFlows
{
    readonly DecoderKernel kernel;
    readonly HostFlow flow;
    float[] x = [], losses = [], norms = [];
    int count;

    /// <param name="simd">The kernel's instruction set (null: <see cref="SimdPaths.Default"/>); tests and benchmarks force one.</param>
    public KernelFlows(TimeGrid grid, bool nesterov, double nesterovEps, SimdPath? simd = null)
    {
        kernel = new DecoderKernel(simd);
        flow = new HostFlow(grid, nesterov, nesterovEps);
    }

    /// <summary>The instruction set the kernel runs on.</summary>
    public SimdPath Simd => kernel.Path;

    /// <summary>
    /// Encodes <paramref name="images"/> [B, D] from <paramref name="z0"/> [B, latent] through the
    /// <paramref name="decoder"/>'s loss, as <see cref="GradientFlow.Solve(Decoder, Tensor, Tensor)"/> or
    /// <see cref="NesterovFlow.Solve(Decoder, Tensor, Tensor)"/> would. Without <paramref name="keepPath"/> the
    /// trajectory holds z* alone (one time, one state, no slopes): enough for the approximate gradient and the test.
    /// </summary>
    public LatentTrajectory Solve(Decoder decoder, Tensor images, Tensor z0, bool keepPath)
    {
        var shape = decoder.Shape;
        // Shape mistakes would otherwise surface deep inside the kernel; a torch misuse could abort the process.
        if (images.dim() != 2 || images.shape[1] != shape.OutputDim || images.shape[0] < 1)
            throw new ArgumentException($"flow images must be [B, {shape.OutputDim}] with B >= 1, not [{string.Join(", ", images.shape)}]", nameof(images));
        if (z0.dim() != 2 || z0.shape[1] != shape.LatentDim || z0.shape[0] != images.shape[0])
            throw new ArgumentException($"flow z0 must be [{images.shape[0]}, {shape.LatentDim}], not [{string.Join(", ", z0.shape)}]", nameof(z0));
        kernel.Load(decoder);
        count = (int)images.shape[0];
        x = Host(images);
        foreach (var v in x)
            if (!float.IsFinite(v))
                throw new ArgumentException("flow images contain a non-finite value", nameof(images));
        if (losses.Length < count)
        {
            losses = new float[count];
            norms = new float[count];
        }

        var solution = flow.Solve(Gradient, Host(z0), keepPath);
        int latent = shape.LatentDim;
        var device = images.device;
        if (!keepPath) return new LatentTrajectory([flow.Grid.Times[^1]], [Latents(solution.Final, latent, device)], null);
        return new LatentTrajectory(flow.Grid.Times,
            solution.States!.Select(s => Latents(s, latent, device)).ToList(),
            solution.Slopes!.Select(s => Latents(s, latent, device)).ToList());
    }

    void Gradient(ReadOnlySpan<float> z, Span<float> gradient)
    {
        // A flow whose grid is too coarse for the landscape blows up; say so instead of the kernel's generic complaint.
        foreach (var v in z)
            if (!float.IsFinite(v))
                throw new RunFailedException("the latent flow diverged (a latent became non-finite); a finer grid (flow.points) or a shorter flow.tau keeps RK4 stable");
        kernel.Forward(z, x, count, losses);
        kernel.Gradient(gradient, norms);
    }

    internal static float[] Host(Tensor values) => values.detach().reshape(-1).to(ScalarType.Float32).cpu().data<float>().ToArray();

    /// <summary>The latents as a tensor in libtorch's own memory (not over a managed array, whose alignment would change
    /// the rounding of the decoder's products from run to run; docs/platform-notes.md).</summary>
    internal static Tensor Latents(float[] values, int latent, Device device)
    {
        using var wrapped = torch.tensor(values, [values.Length / latent, latent]);
        return wrapped.to(device).clone();
    }
}
