using Gfe.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Xunit;

namespace Gfe.Tests.Grains;

/// <summary>
/// One in-process silo wired exactly as Gfe.Silo and local mode wire theirs (<see cref="GfeSiloBuilderExtensions.AddGfeRunner"/>),
/// with two job slots. Started once for every test of <see cref="RunnerClusterCollection"/>; the tests share it, so
/// each uses run keys of its own.
/// </summary>
public sealed class RunnerCluster : IAsyncLifetime
{
    public const int Slots = 2;

    readonly string dataDirectory = Path.Combine(Path.GetTempPath(), $"gfe-runner-tests-{Guid.NewGuid():N}");
    InProcessTestCluster? cluster;

    InProcessTestCluster Cluster => cluster ?? throw new InvalidOperationException("the test cluster is not deployed");

    public IClusterClient Client => Cluster.Client;

    /// <summary>The silo's checkpoint directory (its interval stays the default, so only runs that set
    /// checkpointEvery save checkpoints).</summary>
    public string CheckpointDirectory => Path.Combine(dataDirectory, "checkpoints");

    /// <summary>The silo's job slots: <see cref="JobSlots.Granted"/> counts run executions.</summary>
    public JobSlots JobSlots => Cluster.Silos[0].ServiceProvider.GetRequiredService<JobSlots>();

    /// <summary>The silo's "runs" grain storage, to play another activation writing a run's record.</summary>
    public Orleans.Storage.IGrainStorage RunStorage =>
        Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(RunGrain.StorageName);

    /// <summary>Deactivates a grain's activation as the silo would when collecting or shutting down.</summary>
    public Task Deactivate(IAddressable grain) => Cluster.DeactivateAsync(grain);

    public async Task InitializeAsync()
    {
        var options = new GfeSiloOptions { Slots = Slots, DataDirectory = dataDirectory, CheckpointDirectory = CheckpointDirectory };
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo.AddGfeRunner(options));
        cluster = builder.Build();
        await cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (cluster is not null) await cluster.DisposeAsync();
        if (Directory.Exists(dataDirectory)) Directory.Delete(dataDirectory, recursive: true);
    }
}
