using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gfe.Tests.Cluster;

/// <summary>
/// A real gfe-silo process (the Gfe.Silo build of the same configuration as the tests) with redis clustering on free
/// loopback ports. Its console lines are collected, so that a test can see what it trained even after it was killed.
/// Dispose kills it if it still runs.
/// </summary>
sealed class SiloProcess : IDisposable
{
    readonly Process process;
    readonly ConcurrentQueue<string> lines = new();

    SiloProcess(Process process, string name, int siloPort)
    {
        this.process = process;
        Name = name;
        SiloPort = siloPort;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int SiloPort { get; }

    /// <summary>Every console line so far (the silo logs at Information to standard error).</summary>
    public IReadOnlyList<string> Lines => lines.ToArray();

    public bool HasExited => process.HasExited;

    /// <summary>The built gfe-silo.dll beside this test build: Gfe.Silo/bin/CONFIGURATION/TFM/ of the same checkout
    /// (Gfe.Tests references Gfe.Silo, so building the tests builds it).</summary>
    public static string? FindSiloAssembly()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent?.Name;
        var project = output.Parent?.Parent?.Parent;
        if (configuration is null || project?.Parent is not { } root) return null;
        var silo = Path.Combine(root.FullName, "Gfe.Silo", "bin", configuration, framework, "gfe-silo.dll");
        return File.Exists(silo) ? silo : null;
    }

    public static SiloProcess Start(string name, RedisServer redis, string directory, params string[] settings)
    {
        var process = Launch(name, directory, ["--Clustering", "redis", "--Redis", redis.Endpoint, .. settings], out int siloPort,
            environment: ("GFE_RedisPassword", RedisServer.Password));
        return new SiloProcess(process, name, siloPort);
    }

    /// <summary>A silo of its own localhost cluster (no Redis), e.g. to check what it listens on.</summary>
    public static SiloProcess StartLocal(string name, string directory, params string[] settings)
    {
        var process = Launch(name, directory, ["--Clustering", "localhost", .. settings], out int siloPort, environment: null);
        return new SiloProcess(process, name, siloPort);
    }

    /// <summary>A free loopback TCP port (free when asked; nothing reserves it).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static Process Launch(string name, string directory, string[] settings, out int siloPort, (string Name, string Value)? environment)
    {
        var assembly = FindSiloAssembly() ?? throw new InvalidOperationException("gfe-silo.dll is not built beside the tests");
        siloPort = FreePort();
        int gatewayPort = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory.CreateDirectory(Path.Combine(directory, name)).FullName,
        };
        start.ArgumentList.Add(assembly);
        foreach (var argument in new[]
                 {
                     "--SiloPort", siloPort.ToString(), "--GatewayPort", gatewayPort.ToString(),
                     "--LogDirectory", Path.Combine(directory, name, "logs"),
                 }.Concat(settings))
            start.ArgumentList.Add(argument);
        if (environment is var (variable, value)) start.Environment[variable] = value;
        start.Environment["OMP_NUM_THREADS"] = "1";
        return Process.Start(start) ?? throw new InvalidOperationException("cannot start dotnet gfe-silo.dll");
    }

    /// <summary>Waits for the silo's "ready" line; throws with its output if it exits or the limit passes first.</summary>
    public async Task WaitUntilReady(TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (!Lines.Any(l => l.Contains("GFE silo ready", StringComparison.Ordinal)))
        {
            if (process.HasExited || DateTime.UtcNow > until)
                throw new InvalidOperationException($"silo {Name} did not become ready:\n{string.Join('\n', Lines)}");
            await Task.Delay(100);
        }
    }

    /// <summary>SIGTERM, as an operator, systemd or Kubernetes stops a silo: it stops gracefully. Returns at once.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])!;
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to end; false if it still runs after the limit.</summary>
    public bool WaitForExit(TimeSpan limit) => process.WaitForExit(limit);

    public int ExitCode => process.ExitCode;

    /// <summary>SIGKILL: the silo gets no chance to leave the membership or save anything.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited) Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        process.Dispose();
    }

}
