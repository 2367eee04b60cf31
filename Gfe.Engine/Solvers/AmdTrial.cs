namespace Gfe.Engine.Solvers;

/// <summary>
/// One trial step of the <see cref="AmdSolver"/>, as seen by an observer (tests, diagnostics).
/// </summary>
/// <param name="Time">Flow time t before the trial.</param>
/// <param name="Dt">The step used to make the trial point z1 = z - Dt * g.</param>
/// <param name="Accepted">Whether z1 became the current point (a forced acceptance counts).</param>
/// <param name="Forced">Whether the fallback accepted it because Dt had fallen below beta^K.</param>
/// <param name="Advance">How far t moved: Dt, the fallback step, or 0 on rejection.</param>
/// <param name="LossBefore">l_i at the current point z.</param>
/// <param name="LossAfter">l_i at the trial point z1.</param>
/// <param name="GradientNormsSquared">||grad l_i(z1)||^2, the right-hand side's gradient at the NEW point; NaN where the
/// lean passes did not compute it because the loss alone had already failed the test (<see cref="Runs.AmdPasses"/>).</param>
/// <param name="MonitoredLoss">The batch-mean loss (per-sample mode: the image's loss) appended to the convergence window, if this trial appended one.</param>
/// <param name="Converged">Whether the convergence test fired on this trial.</param>
public sealed record AmdTrial(
    double Time,
    double Dt,
    bool Accepted,
    bool Forced,
    double Advance,
    float[] LossBefore,
    float[] LossAfter,
    float[] GradientNormsSquared,
    double? MonitoredLoss,
    bool Converged)
{
    /// <summary>Per-sample mode: the image (row of the solved batch) this trial belongs to; null in batch mode.</summary>
    public int? Sample { get; init; }

    /// <summary>How many images the decoder passes of this trial's round carried (the work it cost).</summary>
    public int ActiveSamples { get; init; }

    /// <summary>The round of decoder passes (0, 1, ...) the trial was part of; per image, one trial per round.</summary>
    public int Round { get; init; }
}
