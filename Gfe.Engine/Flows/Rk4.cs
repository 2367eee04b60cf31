using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// The classical fourth-order Runge-Kutta step in its 3/8-rule form, the one torchdiffeq's fixed-grid "rk4" uses
/// (docs/method.md §3a): k1 = f(t, y); k2 = f(t + h/3, y + h k1/3); k3 = f(t + 2h/3, y + h(k2 - k1/3));
/// k4 = f(t + h, y + h(k1 - k2 + k3)); y + h(k1 + 3k2 + 3k3 + k4)/8. A negative h steps backwards in time.
/// </summary>
public static class Rk4
{
    /// <summary>
    /// One step from (t, y) to t + h. The caller passes k1 = f(t, y) because the flows need it anyway: it is the
    /// trajectory's slope at the grid point (and the adjoint's integrand comes from the same pass).
    /// </summary>
    public static Tensor Step(Func<double, Tensor, Tensor> f, double t, double h, Tensor y, Tensor k1)
    {
        // ScalarSafe arithmetic: the operator form's temporary Scalars can be freed mid-call (ScalarSafe).
        var k2 = f(t + h / 3, y.Plus(k1.Times(h / 3)));
        var k3 = f(t + 2 * h / 3, y.Plus(k2.Minus(k1.Over(3)).Times(h)));
        var k4 = f(t + h, y.Plus(k1.Minus(k2).Plus(k3).Times(h)));
        return y.Plus(k1.Plus(k2.Plus(k3).Times(3)).Plus(k4).Times(h / 8));
    }
}
