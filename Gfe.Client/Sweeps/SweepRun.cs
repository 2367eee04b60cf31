using Gfe.Abstractions;
using Gfe.Engine.Runs;

namespace Gfe.Client.Sweeps;

/// <summary>
/// One run of an expanded sweep: its configuration, the spec submitted to its grain (canonical key and settings), and
/// where in the sweep file it came from ("grid" or "runs[2] (line 14)"), for messages.
/// </summary>
public sealed record SweepRun(RunConfig Config, RunSpec Spec, string Source)
{
    public string Key => Spec.Key;
}
