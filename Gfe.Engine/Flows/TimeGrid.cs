using Gfe.Engine.Runs;

namespace Gfe.Engine.Flows;

/// <summary>
/// The fixed time grid t_0 = 0 < t_1 < ... < t_{N-1} of the RK4 flows and the flow weight alpha(t) that goes with it
/// (docs/method.md §3a): linspace(0, tau, N) with alpha = 1 (reference code), or the paper's log grid
/// t_k = (tau/b)(b^(k/(N-1)) - 1) with alpha(t) = exp(-2t/tau).
/// </summary>
public sealed record TimeGrid(IReadOnlyList<double> Times, double Tau, bool DecayingAlpha)
{
    public static TimeGrid From(FlowOptions options)
    {
        if (Problem(options) is { } problem) throw new ArgumentException(problem, nameof(options));
        int n = options.Points;
        double tau = options.Tau, b = options.LogBase;
        var times = new double[n];
        for (int k = 0; k < n; k++)
            times[k] = options.Grid == FlowGrid.Linear
                ? tau * k / (n - 1)
                : tau / b * (Math.Pow(b, (double)k / (n - 1)) - 1);
        return new TimeGrid(times, tau, options.Grid == FlowGrid.Log);
    }

    /// <summary>Why these settings cannot make a grid (naming the sweep key), or null if they can.</summary>
    public static string? Problem(FlowOptions options)
    {
        if (options.Points < 2) return $"flow.points must be at least 2 (one RK4 step), not {options.Points}";
        if (!(options.Tau > 0) || !double.IsFinite(options.Tau)) return $"flow.tau must be a positive number, not {options.Tau}";
        if (!(options.LogBase > 1) || !double.IsFinite(options.LogBase)) return $"flow.logBase must be greater than 1, not {options.LogBase}";
        if (!(options.NesterovEps > 0)) return $"flow.nesterovEps must be positive, not {options.NesterovEps}";
        if (!System.Enum.IsDefined(options.Kernel)) return $"flow.kernel must be auto, torch or native, not {options.Kernel}";
        return null;
    }

    /// <summary>The weight of the gradient in the flow dz/dt = -alpha(t) grad l(z).</summary>
    public double Alpha(double t) => DecayingAlpha ? Math.Exp(-2 * t / Tau) : 1.0;
}
