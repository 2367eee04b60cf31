namespace Gfe.Engine.Runs;

/// <summary>What a run trains. One AE run is evaluated both as AE (its encoder) and as Mixed (its decoder + AMD).</summary>
public enum RunMethod
{
    /// <summary>Gradient-flow encoding with the AMD solver and the approximate gradient (z* detached).</summary>
    GfeAmd,

    /// <summary>The autoencoder baseline.</summary>
    Ae,

    /// <summary>No torch: sleeps for <see cref="RunConfig.SimulateSeconds"/> while reporting progress (scheduler tests).</summary>
    Simulate,

    /// <summary>Gradient-flow encoding with the fixed-grid RK4 flow (docs/method.md §3a), z0 = 0 by default.</summary>
    GfeRk4,

    /// <summary>Gradient-flow encoding with the second-order Nesterov flow on the same grid (docs/method.md §3b).</summary>
    GfeNesterov,
}
