using System.Net;
using Gfe.Engine.Data;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace Gfe.Grains;

/// <summary>
/// How a GFE silo runs: its job slots, where its datasets live, and how it joins a cluster. Bound from configuration
/// by Gfe.Silo (appsettings.json, GFE_* environment variables, command line) and built directly by local mode.
/// </summary>
public sealed record GfeSiloOptions
{
    /// <summary>Runs trained at once on this silo; each run uses one thread.</summary>
    public int Slots { get; init; } = Environment.ProcessorCount;

    public string DataDirectory { get; init; } = DataPaths.DefaultDirectory;

    /// <summary>Where runs keep their checkpoints, one file per run key; null = "checkpoints" beside
    /// <see cref="DataDirectory"/>. In a cluster every silo must read and write the same directory (a shared file
    /// system), so that a run whose silo died resumes on another silo from its last checkpoint.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Checkpoint every this many batches (a simulated run: of its ten ticks) for runs whose own
    /// checkpointEvery is 0; 0 turns silo-level checkpoints off. It is not part of the run key: the grain hands it
    /// to the engine without changing the run's settings.</summary>
    public int CheckpointEvery { get; init; } = DefaultCheckpointEvery;

    /// <summary>Membership provider: "localhost" (one machine, run records in memory or in <see cref="RunStore"/>) or "redis" (silos on any
    /// number of machines; membership, run records and reminders in the Redis server named by <see cref="Redis"/>).</summary>
    public string Clustering { get; init; } = LocalhostClustering;

    /// <summary>For redis clustering: the StackExchange.Redis configuration string, e.g. "10.0.0.5:6379" or
    /// "10.0.0.5:6379,password=...,ssl=true".</summary>
    public string Redis { get; init; } = DefaultRedis;

    /// <summary>For redis clustering: the Redis password, kept apart from <see cref="Redis"/> so that it can come
    /// from the environment (GFE_RedisPassword) rather than a command line that every user of the machine can read.</summary>
    public string? RedisPassword { get; init; }

    /// <summary>For redis clustering: the address other silos and clients reach this silo at. Loopback by
    /// default, so that nothing is exposed until an operator names the private network address.</summary>
    public string AdvertisedAddress { get; init; } = IPAddress.Loopback.ToString();

    /// <summary>For redis clustering: listen on every interface instead of the advertised address only; needed in
    /// containers, where the advertised address belongs to the host or the pod network.</summary>
    public bool ListenOnAnyAddress { get; init; }

    /// <summary>For redis clustering inside Kubernetes: the silo takes its name from the pod, watches the pods of
    /// the cluster and declares a silo dead as soon as its pod is gone (needs the POD_NAME and POD_NAMESPACE
    /// variables and a service account allowed to read pods; deploy/k8s).</summary>
    public bool Kubernetes { get; init; }

    public int SiloPort { get; init; } = 11111;

    public int GatewayPort { get; init; } = 30000;

    /// <summary>For localhost clustering: the silo port of the primary silo, or null if this silo is the primary.</summary>
    public int? PrimarySiloPort { get; init; }

    public string ClusterId { get; init; } = "gfe";

    public string ServiceId { get; init; } = "gfe";

    /// <summary>Extra labels this silo advertises as Orleans silo metadata beside its detected capabilities
    /// (<see cref="SiloCapabilities"/>), e.g. Metadata:zone=lab-a, for placement rules to match on.</summary>
    public Dictionary<string, string> Metadata { get; init; } = [];

    /// <summary>For scheduler tests and benchmarks only: the silo advertises this many GPUs (device "cuda") instead
    /// of the ones libtorch finds, without having them. Real runs on such a silo still train on the CPU; simulated
    /// runs need no device. Null (the default) advertises what is detected.</summary>
    public int? SimulatedGpus { get; init; }

    /// <summary>Serve Orleans' dashboard (silos, grains, calls, logs and grain state; no authentication) over HTTP on
    /// <see cref="DashboardAddress"/>:<see cref="DashboardPort"/>. Off by default.</summary>
    public bool Dashboard { get; init; }

    public int DashboardPort { get; init; } = 8080;

    /// <summary>The address the dashboard listens on: loopback unless an operator opens it deliberately (it has no
    /// authentication, so only behind a private network, a VPN or an SSH tunnel).</summary>
    public string DashboardAddress { get; init; } = IPAddress.Loopback.ToString();

    /// <summary>Where rolling log files go.</summary>
    public string LogDirectory { get; init; } = "logs";

    /// <summary>Seconds a stopping silo (SIGTERM, Ctrl+C) may take: three quarters for the graceful stop, after which
    /// Orleans stops ungracefully, and the rest as a margin; then the process exits regardless (code 3), e.g. when
    /// Redis is down and membership cannot be updated. Within a container's or pod's grace period.</summary>
    public int StopTimeout { get; init; } = DefaultStopTimeout;

    /// <summary>For localhost clustering: an SQLite database file holding run records (<see cref="SqliteGrainStorage"/>),
    /// so that they outlive the process; null keeps them in memory. Local mode sets it to its results folder.</summary>
    public string? RunStore { get; init; }

    public const string LocalhostClustering = "localhost";
    public const string RedisClustering = "redis";
    public const string DefaultRedis = "127.0.0.1:6379";
    public const int DefaultCheckpointEvery = 100;
    public const int DefaultStopTimeout = 20;

    /// <summary>The host's graceful part of <see cref="StopTimeout"/>.</summary>
    public TimeSpan GracefulStop => TimeSpan.FromSeconds(StopTimeout * 0.75);

    /// <summary>The checkpoint directory in effect: <see cref="CheckpointDirectory"/>, else "checkpoints" in the
    /// parent of <see cref="DataDirectory"/> (~/.local/share/gfe/checkpoints by default).</summary>
    public string CheckpointsIn => !string.IsNullOrWhiteSpace(CheckpointDirectory)
        ? Path.GetFullPath(CheckpointDirectory)
        : Path.Combine(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(DataDirectory))) ?? ".", "checkpoints");

    public bool UsesRedis => string.Equals(Clustering, RedisClustering, StringComparison.OrdinalIgnoreCase);

    /// <summary>The options named at the root of a configuration (e.g. "Slots", "--slots", "GFE_Slots" once the
    /// prefix is stripped); settings it does not name keep their defaults. Unknown keys are ignored because the
    /// same configuration also carries the host's own settings. A value of the wrong type (Slots=abc, Slots=1.5,
    /// Slots=99999999999) throws <see cref="ArgumentException"/> naming the setting and the value.</summary>
    public static GfeSiloOptions From(IConfiguration configuration)
    {
        try
        {
            return configuration.Get<GfeSiloOptions>() ?? new GfeSiloOptions();
        }
        catch (InvalidOperationException e)
        {
            // The binder says "Failed to convert configuration value 'abc' at 'Slots' to type 'System.Int32'."
            throw new ArgumentException(e.Message.Replace("System.Int32", "a whole number", StringComparison.Ordinal)
                .Replace("System.Boolean", "true or false", StringComparison.Ordinal), e);
        }
    }

    /// <summary>The Redis client settings of <see cref="Redis"/> with <see cref="RedisPassword"/> applied. Each
    /// provider gets its own copy, because StackExchange.Redis options are mutable.</summary>
    public ConfigurationOptions RedisConfiguration()
    {
        var configuration = ConfigurationOptions.Parse(Redis);
        if (!string.IsNullOrEmpty(RedisPassword)) configuration.Password = RedisPassword;
        return configuration;
    }

    /// <summary>Every problem with these options, each naming its setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Slots < 1) problems.Add($"Slots must be at least 1, not {Slots}");
        if (string.IsNullOrWhiteSpace(DataDirectory)) problems.Add("DataDirectory must not be empty");
        if (SimulatedGpus < 0) problems.Add($"SimulatedGpus must be 0 or more, not {SimulatedGpus}");
        if (CheckpointEvery < 0) problems.Add($"CheckpointEvery must be 0 (off) or a number of batches, not {CheckpointEvery}");
        if (StopTimeout < 2) problems.Add($"StopTimeout must be at least 2 seconds, not {StopTimeout}");
        if (RunStore is not null && (UsesRedis || string.IsNullOrWhiteSpace(RunStore)))
            problems.Add(UsesRedis ? "RunStore is for localhost clustering; with redis, run records live in Redis" : "RunStore must name a file");
        if (!UsesRedis && !string.Equals(Clustering, LocalhostClustering, StringComparison.OrdinalIgnoreCase))
            problems.Add($"Clustering '{Clustering}' is not supported; use '{LocalhostClustering}' or '{RedisClustering}'");
        if (UsesRedis)
        {
            problems.AddRange(RedisProblems());
            if (!IPAddress.TryParse(AdvertisedAddress, out _))
                problems.Add($"AdvertisedAddress must be an IP address, not '{AdvertisedAddress}'");
        }
        if (Kubernetes && !UsesRedis)
            problems.Add($"Kubernetes hosting needs Clustering '{RedisClustering}' (it watches pods; membership stays in Redis)");
        if (Dashboard && !IPAddress.TryParse(DashboardAddress, out _))
            problems.Add($"DashboardAddress must be an IP address, not '{DashboardAddress}'");
        foreach (var (name, port) in new[] { ("SiloPort", SiloPort), ("GatewayPort", GatewayPort), ("PrimarySiloPort", PrimarySiloPort ?? 1), ("DashboardPort", DashboardPort) })
            if (port is < 1 or > 65535) problems.Add($"{name} must be a port number (1-65535), not {port}");
        if (SiloPort == GatewayPort) problems.Add($"SiloPort and GatewayPort must differ (both {SiloPort})");
        if (string.IsNullOrWhiteSpace(ClusterId)) problems.Add("ClusterId must not be empty");
        if (string.IsNullOrWhiteSpace(ServiceId)) problems.Add("ServiceId must not be empty");
        return problems;
    }

    IEnumerable<string> RedisProblems()
    {
        ConfigurationOptions configuration;
        try
        {
            configuration = ConfigurationOptions.Parse(Redis);
        }
        catch (ArgumentException e)
        {
            return [$"Redis '{Redis}' is not a Redis configuration string (host:port[,password=...]): {e.Message}"];
        }
        return configuration.EndPoints.Count == 0 ? [$"Redis '{Redis}' names no host:port"] : [];
    }
}
