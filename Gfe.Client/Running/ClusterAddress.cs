using System.Net;
using StackExchange.Redis;

namespace Gfe.Client.Running;

/// <summary>
/// Where gfe finds a running cluster: either fixed gateways ("localhost", "host:port,host:port"), or the Redis
/// server that holds the cluster's membership ("redis://[:password@]host[:port]"), from which the client learns
/// every live silo's gateway, including silos that join later.
/// </summary>
public sealed record ClusterAddress(IReadOnlyList<IPEndPoint> Gateways, ConfigurationOptions? Redis)
{
    public const string RedisScheme = "redis://";
    public const int DefaultRedisPort = 6379;

    /// <summary>Same variable as the silo's RedisPassword setting (GFE_ prefix), so one export serves both.</summary>
    public const string RedisPasswordVariable = "GFE_RedisPassword";

    public bool UsesRedis => Redis is not null;

    /// <summary>Throws <see cref="ArgumentException"/> saying what is wrong with the address.</summary>
    public static ClusterAddress Parse(string cluster)
    {
        var text = cluster.Trim();
        return text.StartsWith(RedisScheme, StringComparison.OrdinalIgnoreCase)
            ? new ClusterAddress([], ParseRedis(text))
            : new ClusterAddress(ClusterConnection.ParseGateways(text), null);
    }

    static ConfigurationOptions ParseRedis(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException("is not redis://[:password@]host[:port]");
        if (uri.AbsolutePath is not ("" or "/") || uri.Query.Length > 0)
            throw new ArgumentException("a redis:// address has only a host, a port and an optional password");
        var configuration = new ConfigurationOptions();
        configuration.EndPoints.Add(uri.Host, uri.Port < 0 ? DefaultRedisPort : uri.Port);
        var userInfo = Uri.UnescapeDataString(uri.UserInfo);
        // redis://:secret@host (no user) as in redis-cli; a user before the colon is passed on (Redis 6 ACLs).
        var colon = userInfo.IndexOf(':');
        if (colon > 0) configuration.User = userInfo[..colon];
        var password = colon >= 0 ? userInfo[(colon + 1)..] : "";
        if (password.Length == 0) password = Environment.GetEnvironmentVariable(RedisPasswordVariable) ?? "";
        if (password.Length > 0) configuration.Password = password;
        return configuration;
    }

    /// <summary>A cluster address as typed, with any password blanked, for messages about an address that did
    /// not parse.</summary>
    public static string Redact(string cluster)
    {
        var scheme = cluster.IndexOf("://", StringComparison.Ordinal);
        var at = cluster.LastIndexOf('@');
        return scheme >= 0 && at > scheme ? cluster[..(scheme + 3)] + "***" + cluster[at..] : cluster;
    }

    /// <summary>The address to show and log: never the password.</summary>
    public override string ToString() => Redis is { } redis
        ? $"{RedisScheme}{string.Join(",", redis.EndPoints.Select(EndPointCollection.ToString))}"
        : string.Join(",", Gateways);
}
