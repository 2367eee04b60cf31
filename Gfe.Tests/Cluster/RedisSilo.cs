using System.Net;
using System.Net.Sockets;
using Gfe.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gfe.Tests.Cluster;

/// <summary>
/// A silo host wired exactly as the gfe-silo process wires its own (<see cref="GfeSiloBuilderExtensions.UseGfeClustering"/>
/// and <see cref="GfeSiloBuilderExtensions.AddGfeRunner(Orleans.Hosting.ISiloBuilder, GfeSiloOptions, SiloCapabilities)"/>)
/// with redis clustering, on free loopback ports, inside the test process.
/// </summary>
sealed class RedisSilo : IAsyncDisposable
{
    readonly IHost host;

    RedisSilo(IHost host, GfeSiloOptions options)
    {
        this.host = host;
        Options = options;
    }

    public GfeSiloOptions Options { get; }

    public IServiceProvider Services => host.Services;

    public IGrainFactory Grains => host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The silo-to-silo endpoint, as membership and run records name the silo.</summary>
    public IPEndPoint Endpoint => new(IPAddress.Loopback, Options.SiloPort);

    public static async Task<RedisSilo> StartAsync(RedisServer redis, string clusterId, string dataDirectory, SiloCapabilities? capabilities = null)
    {
        var options = new GfeSiloOptions
        {
            Clustering = GfeSiloOptions.RedisClustering,
            Redis = redis.Endpoint,
            RedisPassword = RedisServer.Password,
            ClusterId = clusterId,
            SiloPort = FreePort(),
            GatewayPort = FreePort(),
            Slots = 2,
            DataDirectory = dataDirectory,
        };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo => silo
            .UseGfeClustering(options)
            .AddGfeRunner(options, capabilities ?? new SiloCapabilities(SiloCapabilities.CpuDevice, 0, options.Slots, 1)));
        var host = builder.Build();
        await host.StartAsync();
        return new RedisSilo(host, options);
    }

    /// <summary>A graceful stop: the silo leaves the membership table; its run records stay in Redis.</summary>
    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
