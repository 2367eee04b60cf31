using Xunit;

namespace Gfe.Tests.Cluster;

/// <summary>The tests that share one <see cref="RedisServer"/>; each uses a cluster id or run keys of its own.</summary>
[CollectionDefinition(Name)]
public sealed class RedisServerCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "redis server";
}
