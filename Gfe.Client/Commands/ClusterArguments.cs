using System.CommandLine;
using Gfe.Client.Running;

namespace Gfe.Client.Commands;

/// <summary>The options every command that talks to a cluster shares, and turning them into an address; one place,
/// so that <c>sweep run</c>, <c>status</c>, <c>watch</c>, <c>results</c> and <c>cancel</c> read them alike.</summary>
public static class ClusterArguments
{
    public static Option<string?> Cluster(string description) => new("--cluster")
    {
        Description = description,
        HelpName = "GATEWAYS",
    };

    public static Option<double> ConnectTimeout() => NumberOptions.Real("--connect-timeout",
        $"Seconds to wait for the cluster to answer before giving up with exit code 3 (default {ClusterConnection.DefaultConnectTimeout.TotalSeconds:0}).",
        0, 3600, ClusterConnection.DefaultConnectTimeout.TotalSeconds, aboveMin: true, helpName: "SECONDS");

    /// <summary>The address from <paramref name="cluster"/>, else $GFE_CLUSTER; null when neither is set.</summary>
    public static ClusterAddress? Resolve(string? cluster)
    {
        cluster = string.IsNullOrWhiteSpace(cluster) ? Environment.GetEnvironmentVariable(ClusterConnection.EnvironmentVariable) : cluster;
        if (string.IsNullOrWhiteSpace(cluster)) return null;
        try
        {
            return ClusterAddress.Parse(cluster);
        }
        catch (ArgumentException e)
        {
            throw GfeException.InvalidInput($"--cluster '{ClusterAddress.Redact(cluster)}': {e.Message}");
        }
    }

    /// <summary>Connects as a client; a cluster that does not answer in time is <see cref="ExitCodes.Unavailable"/>.</summary>
    public static async Task<Microsoft.Extensions.Hosting.IHost> ConnectAsync(ClusterAddress address, string logFile, double timeoutSeconds, CancellationToken cancel)
    {
        try
        {
            return await ClusterConnection.ConnectAsync(address, logFile, TimeSpan.FromSeconds(timeoutSeconds), cancel);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            throw GfeException.Unavailable($"cannot connect to the cluster at {address}: {e.Message} (details in {logFile})", e);
        }
    }
}
