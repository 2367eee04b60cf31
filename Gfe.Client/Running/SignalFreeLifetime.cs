using Microsoft.Extensions.Hosting;

namespace Gfe.Client.Running;

/// <summary>
/// A host lifetime that does not listen to Ctrl+C or SIGTERM. The default console lifetime would stop the silo (and
/// cancel a connection attempt) on the first Ctrl+C, racing gfe's own handler, which must first write the results of
/// the finished runs.
/// </summary>
public sealed class SignalFreeLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
