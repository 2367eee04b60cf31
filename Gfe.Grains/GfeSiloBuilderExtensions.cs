using System.Net;
using Gfe.Engine.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Storage;

namespace Gfe.Grains;

/// <summary>The silo wiring shared by the Gfe.Silo process, the client's in-process local mode and the tests.</summary>
public static class GfeSiloBuilderExtensions
{
    /// <summary>
    /// Everything a silo needs to host run grains: its job slots, the dataset store shared by its runs, its
    /// capabilities advertised as silo metadata, the "runs" and "queue" grain storages and the reminder service.
    /// With redis clustering the run records, the queue and reminders live in Redis, so that a run's state outlives
    /// the silo that ran it; otherwise in memory, except run records when <see cref="GfeSiloOptions.RunStore"/> names
    /// an SQLite file (local mode). Clustering is separate (<see cref="UseGfeClustering"/>) because test clusters
    /// bring their own.
    /// </summary>
    public static ISiloBuilder AddGfeRunner(this ISiloBuilder silo, GfeSiloOptions options) =>
        silo.AddGfeRunner(options, SiloCapabilities.Detect(options));

    /// <param name="capabilities">what the silo advertises; detected from libtorch by the overload without it</param>
    public static ISiloBuilder AddGfeRunner(this ISiloBuilder silo, GfeSiloOptions options, SiloCapabilities capabilities)
    {
        ThrowOnProblems(options);
        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton(capabilities);
        silo.Services.AddSingleton(new JobSlots(options.Slots));
        silo.Services.AddSingleton(new DatasetStore(options.DataDirectory));
        silo.Services.AddSingleton(SiloCheckpoints.From(options));
        silo.Services.AddSingleton(s => ActivatorUtilities.CreateInstance<UnsavedOutcomes>(s, options.CheckpointsIn));
        // The pull scheduler's silo side: fills this silo's free slots from the cluster's run queue.
        silo.Services.AddSingleton<SlotPuller>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(s => s.GetRequiredService<SlotPuller>());
        silo.UseSiloMetadata(capabilities.ToMetadata(options.Metadata));
        silo.UseBinaryMemoryStorage();
        if (options.UsesRedis)
        {
            silo.AddRedisGrainStorage(RunGrain.StorageName, o => o.ConfigurationOptions = options.RedisConfiguration());
            silo.AddRedisGrainStorage(RunQueueGrain.StorageName, o => o.ConfigurationOptions = options.RedisConfiguration());
            silo.UseRedisReminderService(o => o.ConfigurationOptions = options.RedisConfiguration());
        }
        else
        {
            if (options.RunStore is { } file)
                // Run records in an SQLite file (local mode); the queue stays in memory, since its leases name this
                // process's silo, and a later process rebuilds it as the sweep submits its runs again. Records are
                // stored with Orleans' binary serializer: the default JSON one cost a third of a small run's CPU.
                silo.Services.AddKeyedSingleton<IGrainStorage>(RunGrain.StorageName,
                    (services, _) => new SqliteGrainStorage(file, new OrleansGrainStorageSerializer(services.GetRequiredService<Orleans.Serialization.Serializer>())));
            else
                silo.AddMemoryGrainStorage(RunGrain.StorageName);
            silo.AddMemoryGrainStorage(RunQueueGrain.StorageName);
            silo.UseInMemoryReminderService();
        }
        return silo;
    }

    /// <summary>Joins the cluster named by the options: localhost clustering (silos of one machine, the first one
    /// primary) or Redis membership, where each silo listens on <see cref="GfeSiloOptions.AdvertisedAddress"/>
    /// and registers it for the others and for clients (in Kubernetes, with <see cref="GfeSiloOptions.Kubernetes"/>,
    /// also pod-aware liveness).</summary>
    public static ISiloBuilder UseGfeClustering(this ISiloBuilder silo, GfeSiloOptions options)
    {
        ThrowOnProblems(options);
        if (!options.UsesRedis)
        {
            var primary = options.PrimarySiloPort is int port ? new IPEndPoint(IPAddress.Loopback, port) : null;
            return silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, primary, options.ServiceId, options.ClusterId);
        }
        silo.UseRedisClustering(o => o.ConfigurationOptions = options.RedisConfiguration());
        silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedAddress), options.SiloPort, options.GatewayPort, options.ListenOnAnyAddress);
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });
        // After the endpoints: Kubernetes hosting only fills in an advertised address that is still unset.
        if (options.Kubernetes) silo.UseKubernetesHosting();
        return silo;
    }

    static void ThrowOnProblems(GfeSiloOptions options)
    {
        var problems = options.Problems();
        if (problems.Count > 0)
            throw new ArgumentException("invalid silo options: " + string.Join("; ", problems), nameof(options));
    }
}
