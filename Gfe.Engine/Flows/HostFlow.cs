using System.Runtime.CompilerServices;

namespace Gfe.Engine.Flows;

/// <summary>grad_z L of a batch of latents, row-major [rows, latent], on the host (the native flows' right-hand side).</summary>
public delegate void HostGradient(ReadOnlySpan<float> z, Span<float> gradient);

/// <summary>
/// A fixed-grid flow solved on the host in float32: z* and, when asked, every grid point's state and slope.
/// <see cref="States"/> and <see cref="Slopes"/> are null unless the solve kept the path (the adjoint needs it).
/// </summary>
public sealed record HostTrajectory(float[] Final, IReadOnlyList<float[]>? States, IReadOnlyList<float[]>? Slopes);

/// <summary>
/// The fixed-grid flows of <see cref="GradientFlow"/> and <see cref="NesterovFlow"/> on float arrays, for the native
/// kernel (flow.kernel = native, <see cref="KernelFlows"/>): the same grid, the same right-hand sides and the same
/// 3/8-rule RK4 step as <see cref="Rk4.Step"/>, with the element-wise operations in the order the torch code does them
/// (float32, coefficients rounded to float as torch rounds a number operand). Plain scalar loops: the state is only
/// B x latent floats against the decoder's thousands of multiply-adds per row, and one loop gives the same bits on
/// every SIMD path of the kernel.
/// </summary>
/// <remarks>One instance per thread: it reuses its stage buffers from solve to solve.</remarks>
public sealed class HostFlow(TimeGrid grid, bool nesterov, double nesterovEps)
{
    float[] y = [], k1 = [], k2 = [], k3 = [], k4 = [], stage = [], gradient = [];

    public TimeGrid Grid => grid;

    /// <summary>The second-order (Nesterov) flow on (z, m) rather than the gradient flow on z.</summary>
    public bool Nesterov => nesterov;

    /// <summary>
    /// Solves from <paramref name="z0"/> ([rows, latent] row-major) with <paramref name="field"/> as grad_z L.
    /// <paramref name="keepPath"/>: also return every grid point's state and slope, as the torch flows' trajectory
    /// does (for the Nesterov flow the slopes are the velocities m); without it the gradient flow skips the slope at
    /// the last point, which only the adjoint uses.
    /// </summary>
    public HostTrajectory Solve(HostGradient field, ReadOnlySpan<float> z0, bool keepPath)
    {
        int n = z0.Length, size = nesterov ? 2 * n : n;
        Reserve(size);
        y.AsSpan(0, size).Clear();
        z0.CopyTo(y);
        var times = grid.Times;
        List<float[]>? states = keepPath ? [] : null, slopes = keepPath ? [] : null;

        Slope(field, times[0], y, k1, n);
        for (int k = 0; ; k++)
        {
            if (keepPath)
            {
                states!.Add(y.AsSpan(0, n).ToArray());
                slopes!.Add((nesterov ? y.AsSpan(n, n) : k1.AsSpan(0, n)).ToArray());
            }
            if (k + 1 == times.Count) break;
            Step(field, times[k], times[k + 1] - times[k], size, n);
            // The next step's k1 (the gradient flow's slope at the new point); after the last point only a kept path
            // of the gradient flow uses it.
            if (k + 2 < times.Count || (keepPath && !nesterov))
                Slope(field, times[k + 1], y, k1, n);
        }
        return new HostTrajectory(y.AsSpan(0, n).ToArray(), states, slopes);
    }

    /// <summary>One 3/8-rule RK4 step of <see cref="Rk4.Step"/> from y (k1 given) to t + h, in place in y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Step(HostGradient field, double t, double h, int size, int n)
    {
        float third = (float)(h / 3), whole = (float)h, eighth = (float)(h / 8);
        for (int i = 0; i < size; i++) stage[i] = y[i] + k1[i] * third;
        Slope(field, t + h / 3, stage, k2, n);
        for (int i = 0; i < size; i++) stage[i] = y[i] + (k2[i] - k1[i] / 3f) * whole;
        Slope(field, t + 2 * h / 3, stage, k3, n);
        for (int i = 0; i < size; i++) stage[i] = y[i] + (k1[i] - k2[i] + k3[i]) * whole;
        Slope(field, t + h, stage, k4, n);
        for (int i = 0; i < size; i++) y[i] = y[i] + (k1[i] + (k2[i] + k3[i]) * 3f + k4[i]) * eighth;
    }

    /// <summary>
    /// The right-hand side at (t, state): -alpha(t) grad l(z) for the gradient flow; (m, -3/(t + eps) m - alpha(t)
    /// grad l(z)) for the Nesterov flow, whose state holds z in its first n floats and m in the next n.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Slope(HostGradient field, double t, float[] state, float[] slope, int n)
    {
        field(state.AsSpan(0, n), gradient.AsSpan(0, n));
        if (!nesterov)
        {
            float minusAlpha = (float)-grid.Alpha(t);
            for (int i = 0; i < n; i++) slope[i] = gradient[i] * minusAlpha;
            return;
        }
        float alpha = (float)grid.Alpha(t);
        // At t = 0 the friction is finite only because of eps; there m = 0 (the flow starts at rest), so it adds 0.
        float friction = (float)-(3.0 / (t + nesterovEps));
        for (int i = 0; i < n; i++)
        {
            float m = state[n + i];
            slope[i] = m;
            slope[n + i] = m * friction - gradient[i] * alpha;
        }
    }

    void Reserve(int size)
    {
        if (y.Length >= size) return;
        y = new float[size];
        k1 = new float[size];
        k2 = new float[size];
        k3 = new float[size];
        k4 = new float[size];
        stage = new float[size];
        gradient = new float[size];
    }
}
