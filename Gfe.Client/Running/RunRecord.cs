using Gfe.Abstractions;
using Gfe.Client.Sweeps;

namespace Gfe.Client.Running;

/// <summary>A run of the sweep with the last status its grain reported.</summary>
public sealed record RunRecord(SweepRun Run, RunStatus Status)
{
    /// <summary>The status a run has before its grain has answered.</summary>
    public static RunStatus Unsubmitted(string key) =>
        new(key, RunState.NotStarted, "", 0, 0, null, null, null, null, null, null);
}
