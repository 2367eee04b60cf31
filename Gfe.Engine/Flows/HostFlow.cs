using System.Runtime.InteropServices;

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
/// kernel (flow.kernel = native, <see cref="KernelFlows"/>): the same <see cref="FlowRule{T}"/> as the torch flows, with
/// every float of the state as one <see cref="HostValue"/>, so the element-wise operations run in the torch code's order
/// (float32, coefficients rounded to float as torch rounds a number operand). Plain scalar loops: the state is only
/// B x latent floats against the decoder's thousands of multiply-adds per row, and one loop gives the same bits on
/// every SIMD path of the kernel.
/// </summary>
/// <remarks>One instance per thread: the rule reuses its stage buffers from solve to solve.</remarks>
public sealed class HostFlow(TimeGrid grid, bool nesterov, double nesterovEps)
{
    readonly FlowRule<HostValue> rule = new(grid, nesterov, nesterovEps);

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
        List<float[]>? states = keepPath ? [] : null, slopes = keepPath ? [] : null;
        rule.Solve((z, gradient) => field(Floats(z), Floats(gradient)), MemoryMarshal.Cast<float, HostValue>(z0),
            slopeAtEnd: keepPath,
            keepPath ? (z, slope) => { states!.Add(Floats(z).ToArray()); slopes!.Add(Floats(slope).ToArray()); } : null);
        return new HostTrajectory(Floats(rule.Final).ToArray(), states, slopes);
    }

    static ReadOnlySpan<float> Floats(ReadOnlySpan<HostValue> values) => MemoryMarshal.Cast<HostValue, float>(values);

    static Span<float> Floats(Span<HostValue> values) => MemoryMarshal.Cast<HostValue, float>(values);
}
