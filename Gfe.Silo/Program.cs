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
// Detected once: the same capabilities are logged here and advertised to the cluster as silo metadata.
var capabilities = SiloCapabilities.Detect(options);
builder.UseOrleans(silo => silo.UseGfeClustering(options).AddGfeRunner(options, capabilities));

using var host = builder.Build();
var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gfe.Silo");
log.LogInformation(
    "GFE silo starting: cluster {ClusterId}/{ServiceId} ({Membership}), {Capabilities}, " +
    "data in {DataDirectory}, checkpoints in {CheckpointDirectory} (every {CheckpointEvery} batches unless a run says), " +
    "silo port {SiloPort}, gateway port {GatewayPort}",
    options.ClusterId, options.ServiceId, Membership(options), capabilities,
    Path.GetFullPath(options.DataDirectory), options.CheckpointsIn, options.CheckpointEvery, options.SiloPort, options.GatewayPort);
log.LogInformation("Silo metadata: {Metadata}",
    string.Join(", ", capabilities.ToMetadata(options.Metadata).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));
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
    : "localhost clustering, run records in memory";
