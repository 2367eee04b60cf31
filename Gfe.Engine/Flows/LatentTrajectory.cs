using static TorchSharp.torch;

namespace Gfe.Engine.Flows;

/// <summary>
/// The states z(t_k) [B, 20] of a latent flow at its grid points (fixed-grid flows) or accepted points (AMD), oldest
/// first, all detached. <see cref="Slopes"/> holds dz/dt at the same points when the solver knows it; the RK4 adjoint
/// then interpolates between points with cubic Hermite polynomials (third order), otherwise linearly.
/// </summary>
public sealed record LatentTrajectory(IReadOnlyList<double> Times, IReadOnlyList<Tensor> States, IReadOnlyList<Tensor>? Slopes)
    : IDisposable
{
    /// <summary>z*: the state at the last time.</summary>
    public Tensor Final => States[^1];

    /// <summary>z at any time in [t_0, t_last], interpolated inside the interval that contains it.</summary>
    public Tensor At(double t)
    {
        int k = 0;
        while (k < Times.Count - 2 && t > Times[k + 1]) k++;
        double width = Times[k + 1] - Times[k];
        double s = width > 0 ? (t - Times[k]) / width : 0;
        if (s == 0) return States[k];
        if (s == 1) return States[k + 1];
        if (Slopes is null)
            return States[k].Times(1 - s).Plus(States[k + 1].Times(s));
        double s2 = s * s, s3 = s2 * s;
        return States[k].Times(2 * s3 - 3 * s2 + 1).Plus(Slopes[k].Times((s3 - 2 * s2 + s) * width))
            .Plus(States[k + 1].Times(3 * s2 - 2 * s3)).Plus(Slopes[k + 1].Times((s3 - s2) * width));
    }

    public void Dispose()
    {
        foreach (var state in States) state.Dispose();
        if (Slopes is not null)
            foreach (var slope in Slopes) slope.Dispose();
    }
}
