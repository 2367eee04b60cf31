using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Gfe.Grains;
using Orleans.Hosting;

namespace Gfe.Client.Running;

/// <summary>
/// Local mode: one silo inside the gfe process, so that a sweep runs on a laptop with one command. The silo's grain
/// factory doubles as the client. Ports are picked free so that a local sweep never collides with a silo (or another
/// gfe) already running on the machine. Run records go to an SQLite file in the results folder
/// (<see cref="RunStoreFile"/>), so that running the sweep again, after an interruption or a crash, reuses its
/// finished runs and resumes the others from their checkpoints.
/// </summary>
public static class LocalCluster
{
    /// <summary>The run records' database in a sweep's results folder.</summary>
    public const string RunStoreFile = "runs.db";

    /// <param name="dataDirectory">where the runs read their datasets</param>
    /// <param name="slots">concurrent runs on this silo; null lets the runner decide (one per core)</param>
    /// <param name="logFile">where the silo and the runs log (the console belongs to the progress display)</param>
    /// <param name="runStore">the SQLite file of the run records; null keeps them in memory</param>
    public static async Task<IHost> StartAsync(string dataDirectory, int? slots, string logFile, CancellationToken cancel, string? runStore = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        ClientHostDefaults.Apply(builder, logFile);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: FreePort(), gatewayPort: FreePort());
            var runner = new GfeSiloOptions { DataDirectory = dataDirectory, RunStore = runStore };
            silo.AddGfeRunner(slots is int n ? runner with { Slots = n } : runner);
        });
        var host = builder.Build();
        await host.StartAsync(cancel);
        return host;
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
