namespace Gfe.Engine.Runs;

/// <summary>How the adjoint a(t) is integrated backwards from tau (docs/method.md §3d).</summary>
public enum AdjointStepper
{
    /// <summary>The 3/8-rule RK4 on the reversed grid; states between grid points are interpolated.</summary>
    Rk4,

    /// <summary>Explicit Euler from grid point to grid point: one R-pass per grid point (the cheap option).</summary>
    Euler,
}
