using Gfe.Engine.Data;
using Gfe.Engine.Flows;
using Gfe.Engine.Kernels;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Solvers;

/// <summary>
/// The <see cref="AmdSolver"/>'s two modes run on the host <see cref="DecoderKernel"/> (amd.kernel = native): the same
/// algorithm, decision for decision, as the torch path in AmdSolver, with z, g and the losses in float arrays. A trial
/// is one kernel forward, plus one backward when the decision needs the gradient (the reused probe of
/// <see cref="AmdPasses.ReuseProbe"/>; the kernel always works that way). Only z0 and z* cross into torch.
/// </summary>
/// <remarks>One instance belongs to one solver and is not thread-safe: its buffers are reused from solve to solve.</remarks>
sealed class KernelAmdSolve(AmdOptions options, SimdPath? simd = null)
{
    readonly DecoderKernel kernel = new(simd);
    int Latent, Pixels;   // the solved model's latent and data widths
    float[] z = [], g = [], z1 = [], g1 = [], loss = [], loss1 = [], norms = [], activeImages = [];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // one long-running loop: skip tier-0 and OSR
    public AmdSolution BatchCoupled(Decoder decoder, Tensor images, Tensor z0, Action<AmdTrial>? trace, TrajectoryRecorder? trajectory)
    {
        int count = (int)images.shape[0];
        var x = HostImages(images);
        kernel.Load(decoder);
        (Latent, Pixels) = (decoder.Shape.LatentDim, decoder.Shape.OutputDim);
        Reserve(count);
        HostCopy(z0, z);
        double tau = options.Tau;
        double smallestDt = Math.Pow(options.Beta, options.MaxHalvings);

        // before_integrate: the loss and the gradient at z0.
        kernel.Forward(z, x, count, loss);
        kernel.Gradient(g, norms);
        trajectory?.Add(0, Latents(z, count));

        double t = 0, dt = options.DtStart;
        var monitored = new List<double>();
        bool converged = false;
        long accepted = 0, rejected = 0, forced = 0, forwardRows = count, backwardRows = count;
        int round = 0;

        while (!converged && t < tau)
        {
            double timeBefore = t, trialDt = dt;
            float step = (float)trialDt;   // the reference casts dt to float32 for the Euler step
            for (int i = 0; i < count * Latent; i++)
                z1[i] = z[i] - g[i] * step;
            kernel.Forward(z1, x, count, loss1);
            forwardRows += count;

            bool isForced = dt < smallestDt;
            bool haveGradient = isForced || LossesDecreased(count);
            if (haveGradient)
            {
                kernel.Gradient(g1, norms);
                backwardRows += count;
            }
            else
                norms.AsSpan(0, count).Fill(float.NaN);
            bool ok = haveGradient && SufficientDecrease(count, trialDt);
            if (isForced)
            {
                dt = Math.Min(options.FallbackDt, tau - t);
                ok = true;
            }

            if (ok)
            {
                double nextDt = Math.Min(Math.Min(Math.Max(options.DtStart, options.Growth * dt), options.DtMax), tau - t);
                double advance = dt;
                t += dt;
                float[]? lossBefore = trace is null ? null : loss[..count];
                (z, z1) = (z1, z);
                (g, g1) = (g1, g);
                (loss, loss1) = (loss1, loss);
                trajectory?.Add(t, Latents(z, count));
                double? monitoredLoss = null;
                if ((tau - t) / tau <= options.MonitorFraction)
                {
                    monitoredLoss = Mean(loss, count);
                    monitored.Add(monitoredLoss.Value);
                    converged |= AmdSolver.HasConverged(monitored, options.Window, options.Tolerance);
                }
                dt = nextDt;
                accepted++;
                if (isForced) forced++;
                trace?.Invoke(new AmdTrial(timeBefore, trialDt, true, isForced, advance, lossBefore!, loss[..count],
                    norms[..count], monitoredLoss, converged) { ActiveSamples = count, Round = round });
            }
            else
            {
                dt *= options.Beta;
                rejected++;
                trace?.Invoke(new AmdTrial(timeBefore, trialDt, false, false, 0, loss[..count], loss1[..count], norms[..count], null, false)
                    { ActiveSamples = count, Round = round });
            }
            round++;
        }

        return new AmdSolution(Latents(z, count), new AmdStatistics(1, accepted, rejected, forced, converged ? 1 : 0), t)
        {
            SampleTimes = Enumerable.Repeat(t, count).ToArray(),
            RowsEvaluated = (long)round * count,
            ForwardRows = forwardRows,
            BackwardRows = backwardRows,
        };
    }

    /// <summary>
    /// Every image runs the batch-coupled algorithm with B = 1; a round gathers the images still flowing into one
    /// contiguous batch for the kernel (the gather of images only when that set changes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // one long-running loop: skip tier-0 and OSR
    public AmdSolution PerSample(Decoder decoder, Tensor images, Tensor z0, Action<AmdTrial>? trace,
        IReadOnlyList<TrajectoryRecorder>? sampleTrajectories)
    {
        int count = (int)images.shape[0];
        var x = HostImages(images);
        kernel.Load(decoder);
        (Latent, Pixels) = (decoder.Shape.LatentDim, decoder.Shape.OutputDim);
        Reserve(count);
        HostCopy(z0, z);
        double tau = options.Tau;
        double smallestDt = Math.Pow(options.Beta, options.MaxHalvings);

        kernel.Forward(z, x, count, loss);
        kernel.Gradient(g, norms);
        if (sampleTrajectories is not null)
            for (int i = 0; i < count; i++)
                sampleTrajectories[i].Add(0, Latents(z.AsSpan(i * Latent, Latent), 1));

        var time = new double[count];
        var dt = Enumerable.Repeat(options.DtStart, count).ToArray();
        var monitored = Enumerable.Range(0, count).Select(_ => new List<double>()).ToArray();
        var converged = new bool[count];
        var active = new int[count];
        var isForced = new bool[count];
        int activeCount = -1;
        long accepted = 0, rejected = 0, forced = 0, rows = 0, forwardRows = count, backwardRows = count;
        int round = 0;

        while (true)
        {
            int n = 0;
            bool changed = false;
            for (int i = 0; i < count; i++)
                if (!converged[i] && time[i] < tau)
                {
                    changed |= n >= activeCount || active[n] != i;
                    active[n++] = i;
                }
            if (n == 0) break;
            changed |= n != activeCount;
            activeCount = n;
            if (changed)
                for (int r = 0; r < n; r++)
                    x.AsSpan(active[r] * Pixels, Pixels).CopyTo(activeImages.AsSpan(r * Pixels, Pixels));

            bool anyNeeded = false;
            for (int r = 0; r < n; r++)
            {
                int i = active[r];
                float step = (float)dt[i];
                for (int j = 0; j < Latent; j++)
                    z1[r * Latent + j] = z[i * Latent + j] - g[i * Latent + j] * step;
                isForced[r] = dt[i] < smallestDt;
            }
            kernel.Forward(z1, activeImages, n, loss1);
            rows += n;
            forwardRows += n;
            for (int r = 0; r < n; r++)
                anyNeeded |= isForced[r] || loss[active[r]] - loss1[r] >= 0f;
            if (anyNeeded)
            {
                kernel.Gradient(g1, norms);
                backwardRows += n;
                // Rows whose loss went up fail whatever their gradient: NaN marks "not needed", as in the torch path.
                for (int r = 0; r < n; r++)
                    if (!(isForced[r] || loss[active[r]] - loss1[r] >= 0f)) norms[r] = float.NaN;
            }
            else
                norms.AsSpan(0, n).Fill(float.NaN);

            for (int r = 0; r < n; r++)
            {
                int i = active[r];
                double timeBefore = time[i], trialDt = dt[i];
                float lossBefore = loss[i];
                bool ok = !float.IsNaN(norms[r]) &&
                          lossBefore - loss1[r] >= (float)(options.Sigma * trialDt * options.DtMax) * norms[r];
                if (isForced[r])
                {
                    dt[i] = Math.Min(options.FallbackDt, tau - time[i]);
                    ok = true;
                }

                if (ok)
                {
                    double nextDt = Math.Min(Math.Min(Math.Max(options.DtStart, options.Growth * dt[i]), options.DtMax), tau - time[i]);
                    double advance = dt[i];
                    time[i] += dt[i];
                    loss[i] = loss1[r];
                    z1.AsSpan(r * Latent, Latent).CopyTo(z.AsSpan(i * Latent, Latent));
                    g1.AsSpan(r * Latent, Latent).CopyTo(g.AsSpan(i * Latent, Latent));
                    sampleTrajectories?[i].Add(time[i], Latents(z.AsSpan(i * Latent, Latent), 1));
                    double? monitoredLoss = null;
                    if ((tau - time[i]) / tau <= options.MonitorFraction)
                    {
                        monitoredLoss = loss1[r];
                        var window = monitored[i];
                        window.Add(monitoredLoss.Value);
                        converged[i] |= AmdSolver.HasConverged(window, options.Window, options.Tolerance * options.PerSampleToleranceScale);
                    }
                    dt[i] = nextDt;
                    accepted++;
                    if (isForced[r]) forced++;
                    trace?.Invoke(new AmdTrial(timeBefore, trialDt, true, isForced[r], advance, [lossBefore], [loss1[r]],
                        [norms[r]], monitoredLoss, converged[i]) { Sample = i, ActiveSamples = n, Round = round });
                }
                else
                {
                    dt[i] *= options.Beta;
                    rejected++;
                    trace?.Invoke(new AmdTrial(timeBefore, trialDt, false, false, 0, [lossBefore], [loss1[r]],
                        [norms[r]], null, false) { Sample = i, ActiveSamples = n, Round = round });
                }
            }
            round++;
        }

        var statistics = new AmdStatistics(count, accepted, rejected, forced, converged.Count(c => c));
        return new AmdSolution(Latents(z, count), statistics, time.Max())
        {
            SampleTimes = time,
            RowsEvaluated = rows,
            ForwardRows = forwardRows,
            BackwardRows = backwardRows,
        };
    }

    /// <summary>The instruction set the kernel runs on.</summary>
    public SimdPath Simd => kernel.Path;

    void Reserve(int count)
    {
        if (z.Length >= count * Latent && activeImages.Length >= count * Pixels) return;
        z = new float[count * Latent];
        g = new float[count * Latent];
        z1 = new float[count * Latent];
        g1 = new float[count * Latent];
        loss = new float[count];
        loss1 = new float[count];
        norms = new float[count];
        activeImages = new float[count * Pixels];
    }

    /// <summary>The images as host floats; every value must be finite (the loss is defined for x in [0, 1]).</summary>
    static float[] HostImages(Tensor images)
    {
        var x = AmdSolver.ToHost(images.reshape(-1));
        foreach (var v in x)
            if (!float.IsFinite(v))
                throw new ArgumentException("AMD images contain a non-finite pixel", nameof(images));
        return x;
    }

    static void HostCopy(Tensor source, float[] destination)
    {
        var values = AmdSolver.ToHost(source.reshape(-1));
        values.CopyTo(destination, 0);
    }

    /// <summary>The latents as a tensor in libtorch's own memory: a tensor over a managed array rounds the decoder's
    /// matrix products by that array's alignment, which differs from run to run (docs/platform-notes.md).</summary>
    Tensor Latents(ReadOnlySpan<float> values, int count)
    {
        using var wrapped = torch.tensor(values[..(count * Latent)].ToArray(), [count, Latent]);
        return wrapped.clone();
    }

    bool LossesDecreased(int count)
    {
        for (int i = 0; i < count; i++)
            if (!(loss[i] - loss1[i] >= 0f))
                return false;
        return true;
    }

    /// <summary>The reference's acceptance test (spec §6 B4), in float32 as in <see cref="AmdSolver"/>.</summary>
    bool SufficientDecrease(int count, double dt)
    {
        float scale = (float)(options.Sigma * dt * options.DtMax);
        for (int i = 0; i < count; i++)
            if (!(loss[i] - loss1[i] >= scale * norms[i]))
                return false;
        return true;
    }

    static double Mean(float[] values, int count)
    {
        double sum = 0;
        for (int i = 0; i < count; i++) sum += values[i];
        return sum / count;
    }
}
