using Microsoft.Extensions.DependencyInjection;
using Serilog;
using Serilog.Events;

namespace Gfe.Grains;

/// <summary>
/// The Serilog setup shared by the silo and the client: a rolling daily file per application under a log directory,
/// and optionally the console. Orleans, Polly and Microsoft are turned down to warnings: at Information they log
/// several lines per grain placement, which would bury the runs' own lines.
/// </summary>
public static class GfeLogging
{
    /// <param name="application">Names the log files, e.g. "silo" gives silo-20260124.log.</param>
    /// <param name="logDirectory">Created if missing.</param>
    /// <param name="consoleLevel">Lowest level shown on the console, or null for no console. Console lines go to
    /// standard error so that they never mix with a command's output.</param>
    public static IServiceCollection AddGfeLogging(
        this IServiceCollection services, string application, string logDirectory, LogEventLevel? consoleLevel)
    {
        Directory.CreateDirectory(logDirectory);
        return services.AddSerilog(log => Configure(log, application, logDirectory, consoleLevel), preserveStaticLogger: true);
    }

    /// <summary>The line format of log files.</summary>
    public const string FileTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>Information from the project's own code; warnings only from the frameworks' chatty categories.</summary>
    public static LoggerConfiguration Quieten(LoggerConfiguration log) => log.MinimumLevel.Information()
        .MinimumLevel.Override("Orleans", LogEventLevel.Warning)
        .MinimumLevel.Override("Polly", LogEventLevel.Warning)
        .MinimumLevel.Override("Microsoft", LogEventLevel.Warning);

    public static LoggerConfiguration Configure(
        LoggerConfiguration log, string application, string logDirectory, LogEventLevel? consoleLevel)
    {
        Quieten(log)
            .Enrich.FromLogContext()
            .WriteTo.File(
                Path.Combine(logDirectory, $"{application}-.log"),
                rollingInterval: RollingInterval.Day,
                retainedFileCountLimit: 14,
                outputTemplate: FileTemplate);
        if (consoleLevel is LogEventLevel level)
            log.WriteTo.Console(
                restrictedToMinimumLevel: level,
                standardErrorFromLevel: LogEventLevel.Verbose,
                outputTemplate: "{Timestamp:HH:mm:ss} [{Level:u3}] {Message:lj}{NewLine}{Exception}");
        return log;
    }
}
