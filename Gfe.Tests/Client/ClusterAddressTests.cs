using System.Net;
using Gfe.Client.Running;
using StackExchange.Redis;
using Xunit;

namespace Gfe.Tests.Client;

public sealed class ClusterAddressTests
{
    [Fact]
    public void A_redis_address_names_the_server_and_its_password()
    {
        var address = ClusterAddress.Parse("redis://:s3cret@10.0.0.5:6380");

        var redis = Assert.IsType<ConfigurationOptions>(address.Redis);
        Assert.Equal("10.0.0.5:6380", EndPointCollection.ToString(Assert.Single(redis.EndPoints)));
        Assert.Equal("s3cret", redis.Password);
        Assert.Empty(address.Gateways);
    }

    [Fact]
    public void A_redis_address_without_a_port_uses_the_redis_default()
    {
        var redis = ClusterAddress.Parse("redis://127.0.0.1").Redis!;

        Assert.Equal($"127.0.0.1:{ClusterAddress.DefaultRedisPort}", EndPointCollection.ToString(Assert.Single(redis.EndPoints)));
    }

    [Fact]
    public void The_shown_address_never_contains_the_password()
    {
        const string typed = "redis://:s3cret@10.0.0.5:6380";

        Assert.DoesNotContain("s3cret", ClusterAddress.Parse(typed).ToString());
        Assert.Equal("redis://***@10.0.0.5:6380", ClusterAddress.Redact(typed));
    }

    [Fact]
    public void Gateway_lists_are_still_gateways()
    {
        var address = ClusterAddress.Parse("localhost:30001");

        Assert.Null(address.Redis);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 30001)], address.Gateways);
    }

    [Theory]
    [InlineData("redis://")]
    [InlineData("redis://host:6379/2")]
    [InlineData("redis://host:port")]
    public void Bad_redis_addresses_are_rejected(string cluster)
    {
        Assert.Throws<ArgumentException>(() => ClusterAddress.Parse(cluster));
    }
}
