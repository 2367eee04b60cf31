using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Gfe.Client.Running;

/// <summary>
/// Cluster mode: gfe connects as an Orleans client to the gateways of running silos (gfe-silo) instead of hosting
/// one. The address comes from --cluster or $GFE_CLUSTER: "localhost" (a local multi-silo cluster, gateway
/// 30000), "localhost:PORT", "host:port,host:port" for fixed gateways, or "redis://[:password@]host[:port]" for a
/// cluster whose silos use Redis membership (see <see cref="ClusterAddress"/>).
/// </summary>
public static class ClusterConnection
{
    public const string EnvironmentVariable = "GFE_CLUSTER";

    /// <summary>Must match the silos' ClusterOptions (Gfe.Grains.GfeSiloOptions defaults).</summary>
    public const string ClusterId = "gfe";
    public const string ServiceId = "gfe";

    public const int DefaultGatewayPort = 30000;

    /// <summary>The Orleans client keeps retrying a gateway that is down; give up and say so after this long unless
    /// the command line says otherwise (--connect-timeout). A live gateway on a LAN answers within a second.</summary>
    public static TimeSpan DefaultConnectTimeout { get; } = TimeSpan.FromSeconds(10);

    public static Task<IHost> ConnectAsync(ClusterAddress address, string logFile, CancellationToken cancel) =>
        ConnectAsync(address, logFile, DefaultConnectTimeout, cancel);

    public static async Task<IHost> ConnectAsync(ClusterAddress address, string logFile, TimeSpan connectTimeout, CancellationToken cancel)
    {
        var endpoints = address.Gateways;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        ClientHostDefaults.Apply(builder, logFile);
        builder.UseOrleansClient(client =>
        {
            if (address.Redis is { } redis)
            {
                // The gateway list is the membership table's live silos; the Redis options are cloned because the
                // provider keeps them.
                client.UseRedisClustering(o => o.ConfigurationOptions = redis.Clone());
                client.Configure<ClusterOptions>(o => { o.ClusterId = ClusterId; o.ServiceId = ServiceId; });
            }
            else if (endpoints.All(e => IPAddress.IsLoopback(e.Address)) && endpoints.Count == 1)
                client.UseLocalhostClustering(endpoints[0].Port, ServiceId, ClusterId);
            else
            {
                client.UseStaticClustering([.. endpoints]);
                client.Configure<ClusterOptions>(o => { o.ClusterId = ClusterId; o.ServiceId = ServiceId; });
            }
        });
        var host = builder.Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(connectTimeout);
        try
        {
            await host.StartAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            host.Dispose();
            throw new TimeoutException(address.UsesRedis
                ? $"no silo of cluster {ClusterId} answered within {connectTimeout.TotalSeconds:0.#} s (--connect-timeout); are Redis and gfe-silo (with Clustering=redis) running?"
                : $"no gateway answered within {connectTimeout.TotalSeconds:0.#} s (--connect-timeout); is gfe-silo running there?");
        }
        return host;
    }

    /// <summary>"a:1,b:2" to endpoints; a host name is resolved now, so that a typo fails before anything starts.
    /// Throws <see cref="ArgumentException"/> saying which part is wrong.</summary>
    public static IReadOnlyList<IPEndPoint> ParseGateways(string gateways)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (var part in gateways.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.LastIndexOf(':');
            var host = colon < 0 ? part : part[..colon];
            int port = DefaultGatewayPort;
            if (colon >= 0 && (!int.TryParse(part[(colon + 1)..], out port) || port is < 1 or > 65535))
                throw new ArgumentException($"'{part}' is not host:port");
            endpoints.Add(new IPEndPoint(Resolve(host), port));
        }
        if (endpoints.Count == 0) throw new ArgumentException("no gateway given");
        return endpoints;
    }

    static IPAddress Resolve(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        if (IPAddress.TryParse(host, out var address)) return address;
        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? throw new ArgumentException($"gateway host '{host}' has no IPv4 address");
        }
        catch (SocketException e)
        {
            throw new ArgumentException($"cannot resolve gateway host '{host}': {e.Message}");
        }
    }
}
