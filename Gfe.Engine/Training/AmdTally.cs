using Gfe.Engine.Runs;

namespace Gfe.Engine.Training;

/// <summary>The AMD work of a run's training so far; a class so that a checkpoint can save and restore it.</summary>
public sealed class AmdTally
{
    public AmdStatistics Total { get; set; } = AmdStatistics.None;

    public void Add(AmdStatistics solve) => Total = Total.Add(solve);
}
