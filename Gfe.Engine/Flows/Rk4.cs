using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// The classical fourth-order Runge-Kutta step in its 3/8-rule form, the one torchdiffeq's fixed-grid "rk4" uses
/// (docs/method.md §3a): k1 = f(t, y); k2 = f(t + h/3, y + h k1/3); k3 = f(t + 2h/3, y + h(k2 - k1/3));
/// k4 = f(t + h, y + h(k1 - k2 + k3)); y + h(k1 + 3k2 + 3k3 + k4)/8. A negative h steps backwards in time. Written
/// once for the torch flows, the host flows of the native kernel and the adjoint (<see cref="IFlowValue{T}"/>).
/// </summary>
public static class Rk4
{
    /// <summary>The right-hand side: writes f(t, state) into <paramref name="slope"/>.</summary>
    public delegate void Field<T>(double t, ReadOnlySpan<T> state, Span<T> slope);

    /// <summary>
    /// One step from (t, y) to t + h, in place in <paramref name="y"/>. The caller passes k1 = f(t, y) because the
    /// flows need it anyway: it is the trajectory's slope at the grid point (and the adjoint's integrand comes from the
    /// same pass). k2..k4 and the stage state are the caller's buffers, so a host step allocates nothing. Each value is
    /// combined in the order the formulas above read, which fixes every rounding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step<T>(Field<T> f, double t, double h, Span<T> y, ReadOnlySpan<T> k1,
        Span<T> k2, Span<T> k3, Span<T> k4, Span<T> stage) where T : struct, IFlowValue<T>
    {
        for (int i = 0; i < y.Length; i++) stage[i] = SecondStage(y[i], k1[i], h);
        f(t + h / 3, stage, k2);
        for (int i = 0; i < y.Length; i++) stage[i] = ThirdStage(y[i], k1[i], k2[i], h);
        f(t + 2 * h / 3, stage, k3);
        for (int i = 0; i < y.Length; i++) stage[i] = FourthStage(y[i], k1[i], k2[i], k3[i], h);
        f(t + h, stage, k4);
        for (int i = 0; i < y.Length; i++) y[i] = y[i] + (k1[i] + (k2[i] + k3[i]) * 3 + k4[i]) * (h / 8);
    }

    // The stage states, public so that the Nesterov adjoint recomputes them exactly as the step made them.

    /// <summary>The second stage's state y + h k1/3.</summary>
    public static T SecondStage<T>(T y, T k1, double h) where T : struct, IFlowValue<T> => y + k1 * (h / 3);

    /// <summary>The third stage's state y + h(k2 - k1/3).</summary>
    public static T ThirdStage<T>(T y, T k1, T k2, double h) where T : struct, IFlowValue<T> => y + (k2 - k1 / 3) * h;

    /// <summary>The fourth stage's state y + h(k1 - k2 + k3).</summary>
    public static T FourthStage<T>(T y, T k1, T k2, T k3, double h) where T : struct, IFlowValue<T> => y + (k1 - k2 + k3) * h;

    /// <summary>One step of a tensor field from (t, y) to t + h, with <paramref name="k1"/> = f(t, y): the step above
    /// with y, k1..k4 and the stage state one tensor each (the adjoint steps a(t) backwards with it).</summary>
    public static Tensor Step(Func<double, Tensor, Tensor> f, double t, double h, Tensor y, Tensor k1)
    {
        var values = new TorchValue[6];   // y, k1, k2, k3, k4, stage
        values[0] = new(y);
        values[1] = new(k1);
        var all = values.AsSpan();
        Step((s, state, slope) => slope[0] = new(f(s, state[0].Tensor)), t, h,
            all[..1], all[1..2], all[2..3], all[3..4], all[4..5], all[5..]);
        return values[0].Tensor;
    }
}
