using Gfe.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;
using Xunit;

namespace Gfe.Tests.Grains;

/// <summary>
/// Two in-process silos wired as Gfe.Silo wires them, sharing their run storage as real silos share Redis: a CPU silo
/// (the primary) and a silo that advertises a simulated GPU, each with <see cref="Slots"/> job slots. Membership
/// declares a killed silo dead within a few seconds, so that failover can be tested in-process.
/// </summary>
public sealed class SchedulerCluster : IAsyncLifetime
{
    public const int Slots = 2;

    const string GpuSiloName = "Silo_1";

    readonly string dataDirectory = Path.Combine(Path.GetTempPath(), $"gfe-scheduler-tests-{Guid.NewGuid():N}");
    readonly SharedGrainStorage.Entries storage = new();
    InProcessTestCluster? cluster;

    InProcessTestCluster Cluster => cluster ?? throw new InvalidOperationException("the test cluster is not deployed");

    public IClusterClient Client => Cluster.Client;

    public string CheckpointDirectory => Path.Combine(dataDirectory, "checkpoints");

    public InProcessSiloHandle CpuSilo => Cluster.Silos.Single(s => s.Name != GpuSiloName);

    public InProcessSiloHandle GpuSilo => Cluster.Silos.Single(s => s.Name == GpuSiloName);

    public static JobSlots JobSlotsOf(InProcessSiloHandle silo) => silo.ServiceProvider.GetRequiredService<JobSlots>();

    /// <summary>The silo as a run's status names it (<see cref="Gfe.Abstractions.RunStatus.Silo"/>).</summary>
    public static string NameOf(InProcessSiloHandle silo)
    {
        var details = silo.ServiceProvider.GetRequiredService<ILocalSiloDetails>();
        return $"{details.DnsHostName}:{details.SiloAddress.Endpoint.Port}";
    }

    /// <summary>Kills the silo without a graceful shutdown, as a crash would.</summary>
    public Task Kill(InProcessSiloHandle silo) => Cluster.KillSiloAsync(silo);

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((silo, siloBuilder) =>
        {
            var options = new GfeSiloOptions
            {
                Slots = Slots,
                DataDirectory = dataDirectory,
                CheckpointDirectory = CheckpointDirectory,
                SimulatedGpus = silo.SiloName == GpuSiloName ? 1 : null,
            };
            siloBuilder.AddGfeRunner(options);
            // After AddGfeRunner: the shared storage replaces its in-memory "runs" and "queue" storages.
            foreach (var name in new[] { RunGrain.StorageName, RunQueueGrain.StorageName })
                siloBuilder.Services.AddKeyedSingleton<IGrainStorage>(name,
                    (services, _) => new SharedGrainStorage(storage, services.GetRequiredService<Orleans.Serialization.Serializer>()));
            siloBuilder.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            });
        });
        cluster = builder.Build();
        await cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (cluster is not null) await cluster.DisposeAsync();
        if (Directory.Exists(dataDirectory)) Directory.Delete(dataDirectory, recursive: true);
    }
}
