using System.Net;
using Gfe.Client.Running;
using Xunit;

namespace Gfe.Tests.Client;

public sealed class ClusterConnectionTests
{
    [Fact]
    public void Localhost_MeansTheDefaultGatewayOnLoopback()
    {
        var endpoint = Assert.Single(ClusterConnection.ParseGateways("localhost"));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, ClusterConnection.DefaultGatewayPort), endpoint);
    }

    [Fact]
    public void AListOfHostPorts_GivesOneEndpointEach()
    {
        var endpoints = ClusterConnection.ParseGateways("localhost:30001, 10.0.0.7:30002");
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 30001), new IPEndPoint(IPAddress.Parse("10.0.0.7"), 30002)], endpoints);
    }

    [Theory]
    [InlineData("localhost:port")]
    [InlineData("localhost:70000")]
    [InlineData(",")]
    public void BadGatewayLists_AreRejectedWithTheirPart(string gateways)
    {
        Assert.Throws<ArgumentException>(() => ClusterConnection.ParseGateways(gateways));
    }
}
