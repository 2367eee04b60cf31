using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Gfe.Grains;

namespace Gfe.Client.Running;

/// <summary>
/// What the client's host (and, in local mode, its in-process silo) shares: logs go to a file, because the console
/// belongs to the progress display; and the host ignores Ctrl+C, because gfe itself handles it (stop waiting, write
/// the finished results, then stop the host).
/// </summary>
public static class ClientHostDefaults
{
    public static void Apply(HostApplicationBuilder builder, string logFile)
    {
        builder.Services.AddSingleton<IHostLifetime, SignalFreeLifetime>();
        builder.Logging.ClearProviders();
        // Each host keeps its own logger: left to its default, Serilog makes the last one the process-wide static
        // logger that every host writes through, so two sweeps in one process (tests) wrote into each other's log.
        builder.Services.AddSerilog(log => GfeLogging.Quieten(log)
            .WriteTo.File(logFile, outputTemplate: GfeLogging.FileTemplate), preserveStaticLogger: true);
    }
}
