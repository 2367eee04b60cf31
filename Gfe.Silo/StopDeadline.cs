using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gfe.Silo;

/// <summary>
/// Makes a stopping silo exit within its grace period. The host gives Orleans the graceful part of the time
/// (HostOptions.ShutdownTimeout), after which Orleans stops ungracefully; but some of its stop steps wait on their own
/// storage calls (with Redis down, updating the membership table takes over a minute). The runs lose nothing by an
/// exit here: their records and checkpoints are where a stop would leave them, and another silo takes them up.
/// </summary>
sealed class StopDeadline(IHostApplicationLifetime lifetime, ILogger<StopDeadline> logger, TimeSpan limit) : IHostedService
{
    /// <summary>The exit code of a silo that had to be ended by the deadline: the cluster's storage was unavailable.</summary>
    public const int ExitCode = 3;

    Timer? timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(() => timer = new Timer(_ => Expire(), null, limit, Timeout.InfiniteTimeSpan));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    void Expire()
    {
        logger.LogError("The silo did not stop within {Seconds:0} s (StopTimeout); it exits now, with code {Code}", limit.TotalSeconds, ExitCode);
        // Not Environment.Exit: the host's console lifetime holds process exit until the host has stopped, which is
        // what did not happen. The log sinks write unbuffered, so nothing logged is lost.
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) ExitNow(ExitCode);
        Environment.FailFast($"gfe-silo did not stop within {limit.TotalSeconds:0} s");
    }

    [DllImport("libc", EntryPoint = "_exit")]
    static extern void ExitNow(int status);
}
