using Gfe.Engine.Runs;

namespace Gfe.Grains;

/// <summary>
/// Keeps the engine's most recent progress report. The engine reports from its training thread; the run grain reads
/// the value on its own scheduler, so only the newest report crosses threads and no grain state is touched by the
/// engine. (<see cref="Progress{T}"/> would post callbacks to a synchronization context instead, which grains lack.)
/// </summary>
public sealed class LatestProgress : IProgress<RunProgress>
{
    RunProgress? latest;

    public RunProgress? Latest => Volatile.Read(ref latest);

    public void Report(RunProgress value) => Volatile.Write(ref latest, value);
}
