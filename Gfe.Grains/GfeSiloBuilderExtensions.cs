using System.Net;
using Gfe.Engine.Data;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;

namespace Gfe.Grains;

/// <summary>The silo wiring shared by the Gfe.Silo process, the client's in-process local mode and the tests.</summary>
public static class GfeSiloBuilderExtensions
{
    /// <summary>
    /// Everything a silo needs to host run grains: its job slots, the dataset store shared by its runs, and the
    /// "runs" grain storage (in memory for now). Clustering is separate (<see cref="UseGfeClustering"/>) because
    /// test clusters bring their own.
    /// </summary>
    public static ISiloBuilder AddGfeRunner(this ISiloBuilder silo, GfeSiloOptions options)
    {
        ThrowOnProblems(options);
        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton(new JobSlots(options.Slots));
        silo.Services.AddSingleton(new DatasetStore(options.DataDirectory));
        // Persistent storage across silo restarts (e.g. Redis) belongs here once clusters span machines.
        silo.AddMemoryGrainStorage(RunGrain.StorageName);
        return silo;
    }

    /// <summary>Joins the cluster named by the options. Only localhost clustering exists so far; a Redis (or other)
    /// membership provider is one more case here, selected by <see cref="GfeSiloOptions.Clustering"/>.</summary>
    public static ISiloBuilder UseGfeClustering(this ISiloBuilder silo, GfeSiloOptions options)
    {
        ThrowOnProblems(options);
        var primary = options.PrimarySiloPort is int port ? new IPEndPoint(IPAddress.Loopback, port) : null;
        return silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, primary, options.ServiceId, options.ClusterId);
    }

    static void ThrowOnProblems(GfeSiloOptions options)
    {
        var problems = options.Problems();
        if (problems.Count > 0)
            throw new ArgumentException("invalid silo options: " + string.Join("; ", problems), nameof(options));
    }
}
