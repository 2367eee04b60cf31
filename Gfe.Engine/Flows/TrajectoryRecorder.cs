using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// Collects the points (t_j, z_j) of a solver that decides its own steps, such as AMD's accepted points, into a
/// <see cref="LatentTrajectory"/> for the <see cref="AdjointGradient"/>. The recorded tensors are copies taken out of
/// every dispose scope, so a solver may record inside its per-step scopes; the trajectory owns them (dispose it).
/// </summary>
public sealed class TrajectoryRecorder
{
    readonly List<double> times = [];
    readonly List<Tensor> states = [];
    readonly List<Tensor> slopes = [];
    bool everySlope = true;

    /// <summary>
    /// Records z [B, 20] at time t, with dz/dt there if known (for AMD: -grad_z L at the accepted point). Times must
    /// increase; a trajectory gets slopes only if every point had one.
    /// </summary>
    public void Add(double t, Tensor z, Tensor? slope = null)
    {
        if (times.Count > 0 && !(t > times[^1]))
            throw new ArgumentException($"trajectory times must increase: {t} after {times[^1]}", nameof(t));
        times.Add(t);
        states.Add(z.detach().clone().DetachFromDisposeScope());
        if (slope is null) everySlope = false;
        else slopes.Add(slope.detach().clone().DetachFromDisposeScope());
    }

    public int Count => times.Count;

    public LatentTrajectory ToTrajectory()
    {
        if (times.Count == 0) throw new InvalidOperationException("no point was recorded");
        if (!everySlope)
            foreach (var slope in slopes) slope.Dispose();
        return new LatentTrajectory(times.ToArray(), states.ToArray(), everySlope ? slopes.ToArray() : null);
    }
}
