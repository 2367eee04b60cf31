using Gfe.Grains;
using Serilog;
using Serilog.Core;
using Xunit;

namespace Gfe.Tests.Grains;

public sealed class GfeLoggingTests : IDisposable
{
    readonly string directory = Path.Combine(Path.GetTempPath(), $"gfe-logging-tests-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void The_log_file_keeps_the_runner_lines_and_only_warnings_of_Orleans_Polly_and_Microsoft()
    {
        using (var log = GfeLogging.Configure(new LoggerConfiguration(), "unit", directory, consoleLevel: null).CreateLogger())
        {
            From(log, "Gfe.Grains.RunGrain").Information("run started");
            From(log, "Orleans.Runtime.Catalog").Information("orleans chatter");
            From(log, "Polly").Information("polly chatter");
            From(log, "Microsoft.Hosting.Lifetime").Information("hosting chatter");
            From(log, "Orleans.Runtime.Silo").Warning("orleans warning");
        }

        var file = Assert.Single(Directory.GetFiles(directory, "unit-*.log"));
        var lines = File.ReadAllLines(file);
        Assert.Contains(lines, l => l.Contains("[INF] Gfe.Grains.RunGrain: run started"));
        Assert.Contains(lines, l => l.Contains("[WRN] Orleans.Runtime.Silo: orleans warning"));
        Assert.DoesNotContain(lines, l => l.Contains("chatter"));
    }

    static ILogger From(Logger log, string category) => log.ForContext(Constants.SourceContextPropertyName, category);
}
