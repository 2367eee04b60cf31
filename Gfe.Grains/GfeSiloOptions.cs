using Gfe.Engine.Data;
using Microsoft.Extensions.Configuration;

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

    /// <summary>Membership provider: only "localhost" for now (development and single-machine clusters).</summary>
    public string Clustering { get; init; } = LocalhostClustering;

    public int SiloPort { get; init; } = 11111;

    public int GatewayPort { get; init; } = 30000;

    /// <summary>For localhost clustering: the silo port of the primary silo, or null if this silo is the primary.</summary>
    public int? PrimarySiloPort { get; init; }

    public string ClusterId { get; init; } = "gfe";

    public string ServiceId { get; init; } = "gfe";

    /// <summary>Where rolling log files go.</summary>
    public string LogDirectory { get; init; } = "logs";

    public const string LocalhostClustering = "localhost";

    /// <summary>The options named at the root of a configuration (e.g. "Slots", "--slots", "GFE_Slots" once the
    /// prefix is stripped); settings it does not name keep their defaults. Unknown keys are ignored because the
    /// same configuration also carries the host's own settings.</summary>
    public static GfeSiloOptions From(IConfiguration configuration) =>
        configuration.Get<GfeSiloOptions>() ?? new GfeSiloOptions();

    /// <summary>Every problem with these options, each naming its setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Slots < 1) problems.Add($"Slots must be at least 1, not {Slots}");
        if (string.IsNullOrWhiteSpace(DataDirectory)) problems.Add("DataDirectory must not be empty");
        if (!string.Equals(Clustering, LocalhostClustering, StringComparison.OrdinalIgnoreCase))
            problems.Add($"Clustering '{Clustering}' is not supported yet; use '{LocalhostClustering}'");
        foreach (var (name, port) in new[] { ("SiloPort", SiloPort), ("GatewayPort", GatewayPort), ("PrimarySiloPort", PrimarySiloPort ?? 1) })
            if (port is < 1 or > 65535) problems.Add($"{name} must be a port number (1-65535), not {port}");
        if (SiloPort == GatewayPort) problems.Add($"SiloPort and GatewayPort must differ (both {SiloPort})");
        if (string.IsNullOrWhiteSpace(ClusterId)) problems.Add("ClusterId must not be empty");
        if (string.IsNullOrWhiteSpace(ServiceId)) problems.Add("ServiceId must not be empty");
        return problems;
    }
}
