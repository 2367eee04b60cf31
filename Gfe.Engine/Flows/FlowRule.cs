using System.Runtime.CompilerServices;

namespace Gfe.Engine.Flows;

/// <summary>
/// The fixed-grid flows of docs/method.md §3a, §3b written once: the walk over the <see cref="TimeGrid"/>, one 3/8-rule
/// <see cref="Rk4"/> step per interval (no substeps, the reference's <c>GFlow_approx</c> and <c>GFlow_mom</c>), and the
/// two right-hand sides. It works on values of an <see cref="IFlowValue{T}"/>: <see cref="GradientFlow"/> and
/// <see cref="NesterovFlow"/> run it on tensors (one value per part of the state: z, or z and m), <see cref="HostFlow"/>
/// on the native kernel's float buffers (one value per float). So torch and host cannot disagree about the algorithm,
/// only about what computes grad_z L.
/// </summary>
/// <remarks>
/// The state is z for the gradient flow dz/dt = -alpha(t) grad_z L(z), and (z, m), z in the first n values and m in the
/// next n, for the Nesterov flow dz/dt = m, dm/dt = -3/(t + eps) m - alpha(t) grad_z L(z) from rest (m0 = 0). (Paper
/// eq. 5 writes +grad l: a sign typo.) One instance per thread: it reuses its stage buffers from solve to solve.
/// </remarks>
public sealed class FlowRule<T> where T : struct, IFlowValue<T>
{
    /// <summary>grad_z L at the latents <paramref name="z"/>, written into <paramref name="gradient"/>.</summary>
    public delegate void Gradient(ReadOnlySpan<T> z, Span<T> gradient);

    /// <summary>One grid point of the path: the position z(t_k) and its slope dz/dt (for the Nesterov flow the
    /// velocity m).</summary>
    public delegate void GridPoint(ReadOnlySpan<T> z, ReadOnlySpan<T> slope);

    readonly TimeGrid grid;
    readonly bool nesterov;
    readonly double eps;
    readonly Rk4.Field<T> field;
    T[] y = [], k1 = [], k2 = [], k3 = [], k4 = [], stage = [], g = [];
    Gradient? gradient;
    int n;

    /// <param name="nesterov">The second-order flow on (z, m) rather than the gradient flow on z.</param>
    /// <param name="eps">eps of the Nesterov friction 3/(t + eps).</param>
    public FlowRule(TimeGrid grid, bool nesterov, double eps)
    {
        this.grid = grid;
        this.nesterov = nesterov;
        this.eps = eps;
        field = Slope;   // one delegate for every step and solve: a host step allocates nothing
    }

    /// <summary>z at the last grid point of the last solve.</summary>
    public ReadOnlySpan<T> Final => y.AsSpan(0, n);

    /// <summary>
    /// Solves from <paramref name="z0"/> with <paramref name="gradient"/> as grad_z L; <paramref name="visit"/> sees every
    /// grid point in order. The gradient flow's slope at the last point costs one gradient more than the 4(N-1) of the
    /// steps; only a kept path uses it (the adjoint's a(tau)), so it is computed only with
    /// <paramref name="slopeAtEnd"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Solve(Gradient gradient, ReadOnlySpan<T> z0, bool slopeAtEnd, GridPoint? visit)
    {
        n = z0.Length;
        int size = nesterov ? 2 * n : n;
        Reserve(size);
        this.gradient = gradient;
        Span<T> state = y.AsSpan(0, size), slope = k1.AsSpan(0, size);
        z0.CopyTo(state);
        for (int i = n; i < size; i++) state[i] = T.ZeroLike(z0[i - n]);   // the Nesterov flow starts at rest
        var times = grid.Times;

        using (var first = T.OpenScope())
        {
            Slope(times[0], state, slope);
            T.Keep(first, slope);
        }
        for (int k = 0; ; k++)
        {
            visit?.Invoke(state[..n], nesterov ? state[n..] : slope[..n]);
            if (k + 1 == times.Count) break;
            using var step = T.OpenScope();   // the stages die with the step; the new state and its slope live on
            Rk4.Step(field, times[k], times[k + 1] - times[k], state, slope,
                k2.AsSpan(0, size), k3.AsSpan(0, size), k4.AsSpan(0, size), stage.AsSpan(0, size));
            // The next step's k1, which is also the gradient flow's slope at the new point.
            if (k + 2 < times.Count || (slopeAtEnd && !nesterov))
                Slope(times[k + 1], state, slope);
            T.Keep(step, state);
            T.Keep(step, slope);
        }
        this.gradient = null;
    }

    /// <summary>The right-hand side F(t, state) with <paramref name="gradient"/> as grad_z L, alone (the Nesterov
    /// adjoint recomputes the stages with it exactly as the solve made them).</summary>
    public void Slope(Gradient gradient, double t, ReadOnlySpan<T> state, Span<T> slope)
    {
        Reserve(state.Length);
        this.gradient = gradient;
        Slope(t, state, slope);
        this.gradient = null;
    }

    /// <summary>
    /// F(t, state): -alpha(t) grad L(z) for the gradient flow; (m, -3/(t + eps) m - alpha(t) grad L(z)) for the
    /// Nesterov flow.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Slope(double t, ReadOnlySpan<T> state, Span<T> slope)
    {
        int latents = nesterov ? state.Length / 2 : state.Length;   // the values of z
        var gradientOfZ = g.AsSpan(0, latents);
        gradient!(state[..latents], gradientOfZ);
        double alpha = grid.Alpha(t);
        if (!nesterov)
        {
            for (int i = 0; i < latents; i++) slope[i] = gradientOfZ[i] * -alpha;
            return;
        }
        // At t = 0 the friction is finite only because of eps; there m = 0 (the flow starts at rest), so it adds 0.
        double friction = NesterovFlow.Friction(t, eps);
        for (int i = 0; i < latents; i++)
        {
            var m = state[latents + i];
            slope[i] = m;
            slope[latents + i] = m * -friction - gradientOfZ[i] * alpha;
        }
    }

    void Reserve(int size)
    {
        if (y.Length >= size) return;
        y = new T[size];
        k1 = new T[size];
        k2 = new T[size];
        k3 = new T[size];
        k4 = new T[size];
        stage = new T[size];
        g = new T[size];
    }
}
