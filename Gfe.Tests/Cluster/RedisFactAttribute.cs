using Xunit;

namespace Gfe.Tests.Cluster;

/// <summary>A fact that needs a real Redis server: it is reported as skipped, naming the missing program and how to
/// install it, when redis-server is not on the PATH.</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (RedisServer.FindExecutable() is null)
            Skip = "needs redis-server on the PATH (Debian: apt-get install -y redis-server)";
    }
}
