using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;
using Xunit;

namespace Gfe.Tests.Cluster;

/// <summary>
/// A throwaway redis-server on a free loopback port, with a password (so that the password path of silos and client
/// is exercised) and no persistence to disk. Started once for the tests of <see cref="RedisServerCollection"/>.
/// <see cref="StartPersistent"/> makes one of a test's own, with an append-only file, that the test can stop and
/// start again as an outage would.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    public const string Password = "gfe-test-password";

    Process? process;

    /// <summary>Where the append-only file lives; null: no persistence.</summary>
    string? dataDirectory;

    public int Port { get; private set; }

    /// <summary>The silo's Redis setting for this server (the password is given separately).</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    public static string? FindExecutable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Select(directory => Path.Combine(directory, "redis-server"))
            .FirstOrDefault(File.Exists);

    public async Task InitializeAsync()
    {
        // Skipped facts never reach here; a fixture of a skipped class must not fail either.
        if (FindExecutable() is null) return;
        Port = FreePort();
        await Launch();
    }

    /// <summary>A server of the caller's own, keeping its append-only file (fsync every write) in the directory.</summary>
    public static async Task<RedisServer> StartPersistent(string directory)
    {
        var server = new RedisServer { dataDirectory = Directory.CreateDirectory(directory).FullName, Port = FreePort() };
        await server.Launch();
        return server;
    }

    /// <summary>Stops the server as an operator would (SIGTERM: it flushes its append-only file and exits).</summary>
    public void Stop()
    {
        if (process is not { HasExited: false }) return;
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) kill.WaitForExit();
        if (!process.WaitForExit(10_000)) throw new InvalidOperationException("redis-server did not stop within 10 s of SIGTERM");
        process.Dispose();
        process = null;
    }

    /// <summary>Starts the stopped server again on the same port, from the same append-only file.</summary>
    public Task Restart() => process is null ? Launch() : throw new InvalidOperationException("redis-server still runs");

    async Task Launch()
    {
        var executable = FindExecutable() ?? throw new InvalidOperationException("redis-server is not on the PATH");
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] persistence = dataDirectory is null
            ? ["--appendonly", "no"]
            : ["--appendonly", "yes", "--appendfsync", "always", "--dir", dataDirectory];
        foreach (var argument in new[]
                 {
                     "--port", Port.ToString(), "--bind", "127.0.0.1", "--requirepass", Password,
                     "--save", "", "--daemonize", "no",
                 }.Concat(persistence))
            start.ArgumentList.Add(argument);
        process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {executable}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitUntilListening();
    }

    /// <summary>A client of this server, for looking at what the silos stored.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(Endpoint);
        configuration.Password = Password;
        return ConnectionMultiplexer.ConnectAsync(configuration);
    }

    /// <summary>Empties the server: a test that starts silo processes begins without the membership (dead silos
    /// that new ones would first probe), runs and reminders of the tests before it.</summary>
    public async Task FlushAsync()
    {
        var configuration = ConfigurationOptions.Parse(Endpoint);
        configuration.Password = Password;
        configuration.AllowAdmin = true;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        await connection.GetServer(Endpoint).FlushAllDatabasesAsync();
    }

    async Task WaitUntilListening()
    {
        // The limit only keeps a broken server from hanging the suite.
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (process!.HasExited) throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} at start");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < limit)
            {
                await Task.Delay(50);
            }
        }
    }

    public Task DisposeAsync()
    {
        if (process is { HasExited: false }) process.Kill();
        process?.WaitForExit(5000);
        process?.Dispose();
        return Task.CompletedTask;
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
