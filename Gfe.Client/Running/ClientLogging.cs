using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace Gfe.Client.Running;

/// <summary>Logs of the client (and of the in-process silo in local mode) go to a file: the console belongs to the
/// progress display and the messages of gfe itself.</summary>
public static class ClientLogging
{
    public static void ToFile(HostApplicationBuilder builder, string logFile)
    {
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(log => log
            .MinimumLevel.Information()
            // Orleans logs placement and membership chatter at Information; Polly logs twice per placement.
            .MinimumLevel.Override("Orleans", LogEventLevel.Warning)
            .MinimumLevel.Override("Polly", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .WriteTo.File(logFile, outputTemplate: "{Timestamp:HH:mm:ss.fff} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}"));
    }
}
