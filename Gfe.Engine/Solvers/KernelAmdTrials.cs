using System.Runtime.CompilerServices;
using Gfe.Engine.Kernels;
using Gfe.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Solvers;

/// <summary>
/// AMD trials on the host <see cref="DecoderKernel"/> (amd.kernel = native): z, g and the trial points in float
/// arrays, a trial one kernel forward plus one backward when the decision needs the gradient (the reused probe of
/// <see cref="Runs.AmdPasses.ReuseProbe"/>; the kernel always works that way). Only z0 and z* cross into torch.
/// </summary>
/// <remarks>One instance belongs to one solver and is not thread-safe: its buffers are reused from solve to solve
/// (<see cref="Begin"/> starts the next).</remarks>
sealed class KernelAmdTrials(SimdPath? simd = null) : IAmdTrials
{
    readonly DecoderKernel kernel = new(simd);
    float[] x = [];
    float[] z = [], g = [], z1 = [], g1 = [], norms = [], activeImages = [];
    int[] rows = [], gathered = [];
    int count, n, latent, width;
    long forwardRows, backwardRows;

    /// <summary>The instruction set the kernel runs on.</summary>
    public SimdPath Simd => kernel.Path;

    public long ForwardRows => forwardRows;

    public long BackwardRows => backwardRows;

    /// <summary>Starts a solve: snapshots the decoder's weights and copies the images and z0 to the host.</summary>
    public void Begin(Decoder decoder, Tensor images, Tensor z0)
    {
        kernel.Load(decoder);
        (latent, width) = (decoder.Shape.LatentDim, decoder.Shape.OutputDim);
        count = (int)images.shape[0];
        x = AmdSolver.ToHost(images.reshape(-1));
        foreach (var v in x)
            if (!float.IsFinite(v))
                throw new ArgumentException("AMD images contain a non-finite value", nameof(images));
        if (z.Length < count * latent || activeImages.Length < count * width || rows.Length < count)
        {
            z = new float[count * latent];
            g = new float[count * latent];
            z1 = new float[count * latent];
            g1 = new float[count * latent];
            norms = new float[count];
            activeImages = new float[count * width];
            rows = new int[count];
        }
        AmdSolver.ToHost(z0.reshape(-1)).CopyTo(z, 0);
        gathered = [];
        forwardRows = backwardRows = 0;
    }

    public void Start(Span<float> losses)
    {
        kernel.Forward(z, x, count, losses);
        kernel.Gradient(g, norms);
        forwardRows = backwardRows = count;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first call: no tier-0 code
    public void Probe(ReadOnlySpan<int> trialRows, ReadOnlySpan<float> steps, bool sharedStep, Span<float> losses)
    {
        n = trialRows.Length;
        trialRows.CopyTo(rows);
        for (int r = 0; r < n; r++)
        {
            int i = rows[r];
            float step = steps[r];
            for (int j = 0; j < latent; j++)
                z1[r * latent + j] = z[i * latent + j] - g[i * latent + j] * step;
        }
        ReadOnlySpan<float> data = x;
        if (n < count)
        {
            // The active set only shrinks, and rarely: gather the images again only when it changes.
            if (!trialRows.SequenceEqual(gathered))
            {
                for (int r = 0; r < n; r++)
                    x.AsSpan(rows[r] * width, width).CopyTo(activeImages.AsSpan(r * width, width));
                gathered = trialRows.ToArray();
            }
            data = activeImages;
        }
        kernel.Forward(z1, data, n, losses);
        forwardRows += n;
    }

    public void Gradient(ReadOnlySpan<bool> needed, Span<float> normsSquared)
    {
        // The backward runs over every trial row (it is one pass); rows not needed keep what the caller put there.
        kernel.Gradient(g1, norms);
        backwardRows += n;
        for (int r = 0; r < needed.Length; r++)
            if (needed[r]) normsSquared[r] = norms[r];
    }

    public void Accept(ReadOnlySpan<int> trialRows)
    {
        if (trialRows.Length == count)
        {
            // Every image accepted (then every row was probed, in order): swap instead of copying.
            (z, z1) = (z1, z);
            (g, g1) = (g1, g);
            return;
        }
        foreach (int r in trialRows)
        {
            int i = rows[r];
            z1.AsSpan(r * latent, latent).CopyTo(z.AsSpan(i * latent, latent));
            g1.AsSpan(r * latent, latent).CopyTo(g.AsSpan(i * latent, latent));
        }
    }

    public Tensor Points() => Latents(z, count);

    public Tensor Point(int row) => Latents(z.AsSpan(row * latent, latent), 1);

    public Tensor Final() => Latents(z, count);

    /// <summary>The latents as a tensor in libtorch's own memory: a tensor over a managed array rounds the decoder's
    /// matrix products by that array's alignment, which differs from run to run (docs/platform-notes.md).</summary>
    Tensor Latents(ReadOnlySpan<float> values, int rowCount)
    {
        using var wrapped = torch.tensor(values[..(rowCount * latent)].ToArray(), [rowCount, latent]);
        return wrapped.clone();
    }
}
