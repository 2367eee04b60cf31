using Gfe.Abstractions;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Gfe.Engine.Data.Files;
using Gfe.Grains;
using Gfe.Tests.Data;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using Xunit;

namespace Gfe.Tests.Grains;

/// <summary>
/// A dataset declared in the sweep file's <c>datasets:</c> section, trained on a cluster whose silos have data
/// directories of their own that know nothing of it: two in-process silos wired as Gfe.Silo wires them, each with its
/// own empty data directory (as silos on other machines), sharing run storage and the checkpoint and model directory.
/// The client records the declaration and ships it with each run; the silos load the files from the paths in it.
/// </summary>
public sealed class SweepDatasetClusterTests : IAsyncLifetime
{
    readonly TempDirectory temp = new();
    readonly SharedGrainStorage.Entries storage = new();
    InProcessTestCluster? cluster;

    string SiloData(string siloName) => Path.Combine(temp.Path, "silo-data", siloName);

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((silo, siloBuilder) =>
        {
            siloBuilder.AddGfeRunner(new GfeSiloOptions
            {
                Slots = 1,
                DataDirectory = SiloData(silo.SiloName),
                CheckpointDirectory = Path.Combine(temp.Path, "shared", "checkpoints"),
            });
            foreach (var name in new[] { RunGrain.StorageName, RunQueueGrain.StorageName })
                siloBuilder.Services.AddKeyedSingleton<IGrainStorage>(name,
                    (services, _) => new SharedGrainStorage(storage, services.GetRequiredService<Orleans.Serialization.Serializer>()));
        });
        cluster = builder.Build();
        await cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (cluster is not null) await cluster.DisposeAsync();
        temp.Dispose();
    }

    [Fact]
    public async Task RunsOfASweepDeclaredDataset_TrainOnSilosWhoseDataDirectoriesDoNotHaveIt()
    {
        // 40 samples of 6 real values in [0,1]; the sweep file sits beside them and names them relatively.
        var random = new Random(3);
        NpyFile.Write(Path.Combine(temp.Path, "tiny.npy"), Enumerable.Range(0, 240).Select(_ => (float)random.NextDouble()).ToArray(), [40, 6]);
        var yaml = """
            name: tiny
            datasets:
              tiny:
                train: tiny.npy
                testFraction: 0.25
                loss: mse
            grid:
              method: [ae, gfe-amd]
              dataset: [tiny]
              trainSize: [24]
              seed: [0, 1]
            settings:
              batchSize: 4
              latentDim: 2
              hidden: [8]
              amd.tau: 50
            """;
        var sweepPath = Path.Combine(temp.Path, "tiny.yaml");
        var clientData = Path.Combine(temp.Path, "client-data");
        var prepared = SweepDatasets.Prepare(SweepFileParser.Parse(yaml, sweepPath, clientData));
        Assert.All(prepared.Runs, run => Assert.Contains("sha256:", run.Spec.DatasetDeclaration));

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var outcome = await new SweepRunner(cluster!.Client).RunAsync(prepared.Runs, null, timeout.Token);

        Assert.Equal(4, outcome.Runs.Count);
        foreach (var (run, status) in outcome.Runs)
        {
            Assert.True(status.State == RunState.Completed, $"{run.Key}: {status.State} {status.Error}");
            Assert.Contains("tiny from train", status.Outcome!.DataProvenance);
            Assert.Contains("test 10 of 40 (testFraction 0.25, seed 0)", status.Outcome.DataProvenance);
            Assert.True(double.IsFinite(status.Outcome.TestLoss.Values.First()));
        }
        // Nothing was declared in any data directory: not the client's (Prepare writes nothing), not a silo's.
        Assert.False(Directory.Exists(Path.Combine(clientData, DatasetDeclaration.FolderName)));
        foreach (var silo in cluster.Silos)
            Assert.False(Directory.Exists(Path.Combine(SiloData(silo.Name), DatasetDeclaration.FolderName)));

        // The control: the same sweep without its declarations shipped (as before) fails on these silos. Seed 2 gives
        // new keys, so nothing is reused.
        var bare = SweepFileParser.Parse(yaml.Replace("seed: [0, 1]", "seed: [2]"), sweepPath, clientData);
        var failed = await new SweepRunner(cluster.Client).RunAsync(bare.Runs, null, timeout.Token);
        Assert.All(failed.Runs, r =>
        {
            Assert.Equal(RunState.Failed, r.Status.State);
            Assert.Contains("Unknown dataset 'tiny'", r.Status.Error);
        });

        // A declared file that changed after the client recorded it is refused on the silo, with the reason.
        var changed = SweepDatasets.Prepare(SweepFileParser.Parse(yaml.Replace("seed: [0, 1]", "seed: [3]"), sweepPath, clientData));
        NpyFile.Write(Path.Combine(temp.Path, "tiny.npy"), new float[240], [40, 6]);
        var refused = await new SweepRunner(cluster.Client).RunAsync(changed.Runs, null, timeout.Token);
        Assert.All(refused.Runs, r =>
        {
            Assert.Equal(RunState.Failed, r.Status.State);
            Assert.Contains("changed since dataset 'tiny' was declared", r.Status.Error);
        });
    }
}
