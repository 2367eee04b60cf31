using Xunit;

namespace Gfe.Tests.Grains;

/// <summary>The grain tests that share one <see cref="RunnerCluster"/> (xunit runs them one after another).</summary>
[CollectionDefinition(Name)]
public sealed class RunnerClusterCollection : ICollectionFixture<RunnerCluster>
{
    public const string Name = "runner cluster";
}
