// The GFE silo host: hosts run grains on this machine's job slots. Settings come from appsettings.json beside the
// executable, then GFE_* environment variables, then the command line (e.g. --Slots 4 --DataDirectory /data).
using Gfe.Grains;
using Gfe.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Dashboard;
using Serilog.Events;

// The settings are read once before the host exists, because they decide what kind of host it is: a plain one, or
// an ASP.NET Core one when the dashboard is on. The host reads the same sources again, with the same precedence.
var settings = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .AddEnvironmentVariables()
    .AddEnvironmentVariables(prefix: "GFE_")
    .AddCommandLine(args)
    .Build();
GfeSiloOptions options;
try
{
    options = GfeSiloOptions.From(settings);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"gfe-silo: {e.Message}");
    return 2;
}
var problems = options.Problems();
if (problems.Count > 0)
{
    foreach (var problem in problems) Console.Error.WriteLine($"gfe-silo: {problem}");
    return 2;
}

WebApplicationBuilder? web = null;
IHostApplicationBuilder builder;
if (options.Dashboard)
{
    builder = web = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    // Only the dashboard's address: never the ASP.NET Core defaults (every interface via ASPNETCORE_URLS).
    web.WebHost.UseUrls($"http://{options.DashboardAddress}:{options.DashboardPort}");
}
else
{
    // appsettings.json ships beside the executable, wherever the silo is started from.
    builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
}
builder.Configuration.AddEnvironmentVariables(prefix: "GFE_").AddCommandLine(args);

builder.Services.AddGfeLogging("silo", options.LogDirectory, LogEventLevel.Information);
// A stop (SIGTERM, Ctrl+C) ends within StopTimeout even when the cluster's storage is down.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.GracefulStop);
builder.Services.AddHostedService(s => ActivatorUtilities.CreateInstance<StopDeadline>(s, TimeSpan.FromSeconds(options.StopTimeout)));
// Detected once: the same capabilities are logged here and advertised to the cluster as silo metadata.
var capabilities = SiloCapabilities.Detect(options);
builder.UseOrleans(silo =>
{
    silo.UseGfeClustering(options).AddGfeRunner(options, capabilities);
    if (options.Dashboard) silo.AddDashboard();
});

IHost host;
if (web is not null)
{
    var app = web.Build();
    app.MapOrleansDashboard();
    host = app;
}
else
{
    host = ((HostApplicationBuilder)builder).Build();
}
using var _ = host;
var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gfe.Silo");
log.LogInformation(
    "GFE silo starting: cluster {ClusterId}/{ServiceId} ({Membership}), {Capabilities}, " +
    "data in {DataDirectory}, checkpoints in {CheckpointDirectory} (every {CheckpointEvery} batches unless a run says), " +
    "silo port {SiloPort}, gateway port {GatewayPort}",
    options.ClusterId, options.ServiceId, Membership(options), capabilities,
    Path.GetFullPath(options.DataDirectory), options.CheckpointsIn, options.CheckpointEvery, options.SiloPort, options.GatewayPort);
log.LogInformation("Silo metadata: {Metadata}",
    string.Join(", ", capabilities.ToMetadata(options.Metadata).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));
if (options.Dashboard)
    log.LogInformation("Orleans dashboard on http://{Address}:{Port}/ (no authentication: keep it on loopback or a private network)",
        options.DashboardAddress, options.DashboardPort);
if (ComputeDevice.Describe() is var device && device.StartsWith("unknown", StringComparison.Ordinal))
    log.LogWarning("Device {Device}: this silo can only run simulated runs", device);
await host.StartAsync();
log.LogInformation("GFE silo ready; Ctrl+C stops it");
await host.WaitForShutdownAsync();
log.LogInformation("GFE silo stopped");
return 0;

// Where membership lives, without the Redis password.
static string Membership(GfeSiloOptions options) => options.UsesRedis
    ? $"redis at {options.RedisConfiguration().ToString(includePassword: false)}, advertising {options.AdvertisedAddress}{(options.ListenOnAnyAddress ? ", listening on all interfaces" : "")}"
    : $"localhost clustering, run records {(options.RunStore is { } file ? $"in {Path.GetFullPath(file)}" : "in memory")}";
