using Gfe.Abstractions;
using Gfe.Client.Running;
using Gfe.Engine.Runs;
using Gfe.Grains;
using Gfe.Tests.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using StackExchange.Redis;
using Xunit;

namespace Gfe.Tests.Cluster;

/// <summary>Silos with redis clustering, as gfe-silo runs them, against a real redis-server.</summary>
[Collection(RedisServerCollection.Name)]
public sealed class RedisClusterTests(RedisServer redis) : IDisposable
{
    readonly string scratch = Path.Combine(Path.GetTempPath(), $"gfe-redis-tests-{Guid.NewGuid():N}");

    [RedisFact]
    public async Task A_run_record_outlives_its_silo_in_redis_and_a_client_finds_the_next_silo_through_redis()
    {
        var spec = SimulatedRuns.Spec(seconds: 0.1);
        RunStatus done;
        await using (var first = await RedisSilo.StartAsync(redis, ClusterConnection.ClusterId, scratch))
        {
            var run = first.Grains.GetGrain<IRunGrain>(spec.Key);
            await run.Start(spec);
            done = await SimulatedRuns.Finished(run);
            Assert.Equal(RunState.Completed, done.State);
            Assert.EndsWith($":{first.Options.SiloPort}", done.Silo);
        }

        // The silo is gone, so only Redis can still hold the record.
        using (var redisClient = await redis.ConnectAsync())
        {
            var keys = redisClient.GetServer(redis.Endpoint).Keys(pattern: $"{ClusterConnection.ServiceId}/state/*").Select(k => k.ToString()).ToList();
            Assert.Contains(keys, k => k.Contains(spec.Key, StringComparison.Ordinal));
        }

        await using var second = await RedisSilo.StartAsync(redis, ClusterConnection.ClusterId, scratch);
        var address = ClusterAddress.Parse($"redis://:{RedisServer.Password}@{redis.Endpoint}");
        using var client = await ClusterConnection.ConnectAsync(address, Path.Combine(scratch, "client.log"), CancellationToken.None);
        try
        {
            var again = await client.Services.GetRequiredService<IClusterClient>().GetGrain<IRunGrain>(spec.Key).GetStatus();

            Assert.Equal(RunState.Completed, again.State);
            Assert.Equal(done.Silo, again.Silo);
            Assert.Equal(done.FinishedUtc, again.FinishedUtc);
            Assert.Equal(done.Outcome!.TestLoss[Evaluations.Simulate], again.Outcome!.TestLoss[Evaluations.Simulate]);
            Assert.Equal(done.Outcome.ImagesSeen, again.Outcome.ImagesSeen);
        }
        finally
        {
            await client.StopAsync();
        }
    }

    [RedisFact]
    public async Task Every_silo_sees_the_capabilities_another_silo_advertises()
    {
        // A cluster of its own, so that the other test's silos are not among its members.
        var clusterId = $"metadata-{Guid.NewGuid():N}";
        var gpuSilo = new SiloCapabilities(SiloCapabilities.CudaDevice, Gpus: 2, Slots: 3, ThreadsPerJob: 1);
        await using var advertiser = await RedisSilo.StartAsync(redis, clusterId, scratch, gpuSilo);
        await using var observer = await RedisSilo.StartAsync(redis, clusterId, scratch);

        var advertiserAddress = advertiser.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var cache = observer.Services.GetRequiredService<ISiloMetadataCache>();
        // The observer learns the metadata when membership tells it about the other silo; the limit only keeps a
        // broken cluster from hanging the suite.
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        SiloCapabilities? seen;
        while ((seen = SiloCapabilities.FromMetadata(cache.GetSiloMetadata(advertiserAddress).Metadata)) is null && DateTime.UtcNow < limit)
            await Task.Delay(50);

        Assert.Equal(gpuSilo, seen);
    }

    public void Dispose()
    {
        if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
    }
}
