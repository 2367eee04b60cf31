using Gfe.Engine.Data;

namespace Gfe.Tests.Data;

/// <summary>A source for tests: writes a synthetic dataset of the given sizes, or fails with the given reason, and
/// counts how often it was asked.</summary>
public sealed class ScriptedSource(string name, int trainCount = 30, int testCount = 10, string? failure = null) : IDataSource
{
    public int Calls { get; private set; }

    public string Name => name;

    public FetchedDataset Fetch(string targetDirectory, IProgress<FetchProgress>? progress, CancellationToken cancel)
    {
        Calls++;
        if (failure is not null) throw new DataException(failure);
        SyntheticIdx.WriteDataset(targetDirectory, trainCount, testCount);
        return new FetchedDataset($"scripted {name}", "made by the test");
    }
}
