using Gfe.Grains;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Gfe.Tests.Grains;

public sealed class GfeSiloOptionsTests
{
    [Fact]
    public void Default_options_are_usable()
    {
        Assert.Empty(new GfeSiloOptions().Problems());
    }

    [Fact]
    public void Each_bad_setting_is_named()
    {
        var options = new GfeSiloOptions { Slots = 0, Clustering = "zookeeper", Kubernetes = true, SiloPort = 70000, GatewayPort = 70000, ServiceId = " " };

        var problems = options.Problems();

        Assert.Contains(problems, p => p.StartsWith("Slots must be at least 1"));
        Assert.Contains(problems, p => p.StartsWith("Clustering 'zookeeper' is not supported"));
        Assert.Contains(problems, p => p.StartsWith("Kubernetes hosting needs Clustering 'redis'"));
        Assert.Contains(problems, p => p.StartsWith("SiloPort must be a port number"));
        Assert.Contains(problems, p => p.StartsWith("SiloPort and GatewayPort must differ"));
        Assert.Contains(problems, p => p.StartsWith("ServiceId must not be empty"));
        Assert.DoesNotContain(problems, p => p.StartsWith("ClusterId"));
    }

    [Fact]
    public void Options_are_read_from_configuration_with_the_command_line_winning()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Slots"] = "8", ["ClusterId"] = "lab", ["Logging:LogLevel:Default"] = "Debug" })
            .AddCommandLine(["--slots", "3", "--DataDirectory", "/srv/gfe-data", "--PrimarySiloPort", "11111"])
            .Build();

        var options = GfeSiloOptions.From(configuration);

        Assert.Equal(3, options.Slots);
        Assert.Equal("/srv/gfe-data", options.DataDirectory);
        Assert.Equal(11111, options.PrimarySiloPort);
        Assert.Equal("lab", options.ClusterId);
        Assert.Equal(new GfeSiloOptions().GatewayPort, options.GatewayPort);
    }

    [Fact]
    public void Redis_clustering_needs_a_redis_server_and_an_ip_address_to_advertise()
    {
        var options = new GfeSiloOptions { Clustering = "Redis", Redis = "password=only", AdvertisedAddress = "gpu-box" };

        var problems = options.Problems();

        Assert.Contains(problems, p => p.StartsWith("Redis 'password=only' names no host:port"));
        Assert.Contains(problems, p => p.StartsWith("AdvertisedAddress must be an IP address"));
        Assert.Empty(new GfeSiloOptions { Clustering = "redis" }.Problems());
    }

    [Fact]
    public void The_redis_password_setting_is_applied_to_the_connection()
    {
        var options = new GfeSiloOptions { Clustering = "redis", Redis = "10.0.0.5:6380", RedisPassword = "s3cret" };

        var redis = options.RedisConfiguration();

        Assert.Equal("s3cret", redis.Password);
        Assert.Equal("10.0.0.5:6380", StackExchange.Redis.EndPointCollection.ToString(Assert.Single(redis.EndPoints)));
        Assert.Null(new GfeSiloOptions().RedisConfiguration().Password);
    }

    [Fact]
    public void Metadata_labels_are_read_from_configuration()
    {
        var configuration = new ConfigurationBuilder()
            .AddCommandLine(["--Metadata:zone", "lab-a", "--Clustering", "redis"])
            .Build();

        var options = GfeSiloOptions.From(configuration);

        Assert.Equal("lab-a", options.Metadata["zone"]);
        Assert.True(options.UsesRedis);
    }

    [Fact]
    public void Checkpoints_go_beside_the_data_directory_unless_a_directory_is_named()
    {
        Assert.Equal(Path.GetFullPath("/srv/gfe/checkpoints"), new GfeSiloOptions { DataDirectory = "/srv/gfe/data/" }.CheckpointsIn);
        Assert.Equal(Path.GetFullPath("/shared/ckpt"), new GfeSiloOptions { DataDirectory = "/srv/gfe/data", CheckpointDirectory = "/shared/ckpt" }.CheckpointsIn);
        Assert.Equal(GfeSiloOptions.DefaultCheckpointEvery, new GfeSiloOptions().CheckpointEvery);
        Assert.Contains(new GfeSiloOptions { CheckpointEvery = -1 }.Problems(), p => p.StartsWith("CheckpointEvery must be 0 (off)"));
    }

    [Fact]
    public void The_dashboard_is_off_and_on_loopback_by_default_and_its_bad_settings_are_named()
    {
        var defaults = new GfeSiloOptions();
        var bad = new GfeSiloOptions { Dashboard = true, DashboardPort = 0, DashboardAddress = "all" };

        Assert.False(defaults.Dashboard);
        Assert.Equal("127.0.0.1", defaults.DashboardAddress);
        Assert.Contains(bad.Problems(), p => p.StartsWith("DashboardPort must be a port number"));
        Assert.Contains(bad.Problems(), p => p.StartsWith("DashboardAddress must be an IP address, not 'all'"));
    }

    [Fact]
    public void A_silo_advertises_simulated_gpus_only_when_told_to()
    {
        var simulated = SiloCapabilities.Detect(new GfeSiloOptions { Slots = 3, SimulatedGpus = 2 });

        Assert.Equal(new SiloCapabilities(SiloCapabilities.CudaDevice, 2, 3, 1), simulated);
        Assert.Contains(new GfeSiloOptions { SimulatedGpus = -1 }.Problems(), p => p.StartsWith("SimulatedGpus must be 0 or more"));
    }

    [Fact]
    public void The_stop_timeout_and_the_run_store_are_checked()
    {
        Assert.Equal(TimeSpan.FromSeconds(15), new GfeSiloOptions().GracefulStop);
        Assert.Empty(new GfeSiloOptions { RunStore = "/tmp/results/runs.db" }.Problems());
        Assert.Contains(new GfeSiloOptions { StopTimeout = 1 }.Problems(), p => p.StartsWith("StopTimeout must be at least 2"));
        Assert.Contains(new GfeSiloOptions { Clustering = "redis", RunStore = "runs.db" }.Problems(), p => p.StartsWith("RunStore is for localhost"));
        Assert.Contains(new GfeSiloOptions { RunStore = " " }.Problems(), p => p.StartsWith("RunStore must name a file"));
    }
}
