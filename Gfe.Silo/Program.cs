// The GFE silo host: hosts run grains on this machine's job slots. Settings come from appsettings.json beside the
// executable, then GFE_* environment variables, then the command line (e.g. --Slots 4 --DataDirectory /data).
using Gfe.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog.Events;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    // appsettings.json ships beside the executable, wherever the silo is started from.
    ContentRootPath = AppContext.BaseDirectory,
});
builder.Configuration.AddEnvironmentVariables(prefix: "GFE_").AddCommandLine(args);

var options = GfeSiloOptions.From(builder.Configuration);
var problems = options.Problems();
if (problems.Count > 0)
{
    foreach (var problem in problems) Console.Error.WriteLine($"gfe-silo: {problem}");
    return 2;
}

builder.Services.AddGfeLogging("silo", options.LogDirectory, LogEventLevel.Information);
builder.UseOrleans(silo => silo.UseGfeClustering(options).AddGfeRunner(options));

using var host = builder.Build();
var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gfe.Silo");
log.LogInformation(
    "GFE silo starting: cluster {ClusterId}/{ServiceId}, device {Device}, {Slots} job slots, data in {DataDirectory}, " +
    "silo port {SiloPort}, gateway port {GatewayPort}",
    options.ClusterId, options.ServiceId, ComputeDevice.Describe(), options.Slots,
    Path.GetFullPath(options.DataDirectory), options.SiloPort, options.GatewayPort);
await host.StartAsync();
log.LogInformation("GFE silo ready; Ctrl+C stops it");
await host.WaitForShutdownAsync();
log.LogInformation("GFE silo stopped");
return 0;
