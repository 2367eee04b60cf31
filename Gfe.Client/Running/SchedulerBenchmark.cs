using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gfe.Client.Commands;
using Gfe.Abstractions;
using Gfe.Client.Sweeps;
using Gfe.Engine.Benchmarks;
using Gfe.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;

namespace Gfe.Client.Running;

/// <summary>
/// The scheduler at scale on one machine: N silos in this process (localhost clustering on free ports, each with its
/// own job slots and slot puller, as separate gfe-silo processes would be), and simulated runs (sleeps, no torch)
/// submitted and polled through the client's <see cref="SweepRunner"/>, as <c>gfe sweep run</c> does. What it
/// measures is the runner's own overhead: the time between runs that the scheduler, the grains and the records add.
/// </summary>
public static class SchedulerBenchmark
{
    /// <summary>The benchmark's runs as a sweep file would give them (a grid over seeds of simulated runs), and how
    /// long validating that file took (wall clock and the process's CPU time, which a busy machine does not inflate): the path <c>gfe sweep validate</c> and <c>gfe sweep run</c> take.</summary>
    public static (SweepFile Sweep, TimeSpan Validation, TimeSpan Cpu) Validate(SchedulerBenchmarkSettings settings)
    {
        var text = new StringBuilder("name: bench-scheduler\ngrid:\n  seed: [");
        for (int i = 0; i < settings.Runs; i++) text.Append(i == 0 ? "" : ", ").Append(i.ToString(CultureInfo.InvariantCulture));
        text.Append("]\nsettings:\n  method: simulate\n  trainSize: 100\n  simulateSeconds: ")
            .Append(settings.Seconds.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var sweep = SweepFileParser.Parse(text.ToString(), "bench-scheduler.yaml");
        return (sweep, clock.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu);
    }

    /// <param name="output">where the plain progress lines go, as <c>gfe sweep run</c> prints them in a log</param>
    public static async Task<SchedulerBenchmarkResult> RunAsync(SchedulerBenchmarkSettings settings, SweepFile sweep, TextWriter output,
        string logFile, CancellationToken cancel)
    {
        var launched = DateTime.UtcNow;
        var dataDirectory = Directory.CreateTempSubdirectory("gfe-bench-scheduler-").FullName;
        var hosts = new List<IHost>();
        try
        {
            if (settings.Local)
            {
                // With the SQLite run store `gfe sweep run` gives local mode (in the results folder there).
                hosts.Add(await LocalCluster.StartAsync(dataDirectory, settings.Slots, logFile, cancel,
                    Path.Combine(dataDirectory, LocalCluster.RunStoreFile)));
            }
            else
            {
                // The first silo is the primary of localhost clustering; the others join through it.
                int primaryPort = FreePort();
                hosts.Add(await StartSilo(primaryPort, primary: null, settings, dataDirectory, logFile, cancel));
                var primary = new IPEndPoint(IPAddress.Loopback, primaryPort);
                hosts.AddRange(await Task.WhenAll(Enumerable.Range(1, settings.Silos - 1)
                    .Select(_ => StartSilo(FreePort(), primary, settings, dataDirectory, logFile, cancel))));
            }
            var clusterStart = DateTime.UtcNow - launched;

            var grains = hosts[0].Services.GetRequiredService<IGrainFactory>();
            var lines = new TimedLines(output);
            long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var outcome = await new SweepRunner(grains, settings.Poll).RunAsync(sweep.Runs, new PlainSweepView(lines).Report, cancel);
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            var gc = GC.GetGCMemoryInfo();
            long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
            return Measure(settings, outcome, launched, clusterStart, lines) with
            {
                CpuPerRun = cpu / Math.Max(1, outcome.Runs.Count),
                LiveBytesPerRun = (double)(heapAfter - heapBefore) / Math.Max(1, outcome.Runs.Count),
                GcCommittedMegabytes = gc.TotalCommittedBytes / 1048576.0,
                HeapMegabytes = heapAfter / 1048576.0,
            };
        }
        finally
        {
            // The primary last: with localhost clustering it holds the membership table the others read as they leave.
            await Task.WhenAll(hosts.Skip(1).Select(h => h.StopAsync(CancellationToken.None)));
            if (hosts.Count > 0) await hosts[0].StopAsync(CancellationToken.None);
            foreach (var host in hosts) host.Dispose();
            try { Directory.Delete(dataDirectory, recursive: true); }
            catch (IOException) { }
        }
    }

    static SchedulerBenchmarkResult Measure(SchedulerBenchmarkSettings settings, SweepOutcome outcome, DateTime launched, TimeSpan clusterStart,
        TimedLines lines)
    {
        var done = outcome.Runs.Select(r => r.Status).Where(s => s is { State: RunState.Completed, StartedUtc: not null, FinishedUtc: not null }).ToList();
        if (done.Count == 0)
            throw new GfeException(outcome.Interrupted ? ExitCodes.Interrupted : ExitCodes.RunsFailed,
                "no run completed" + (outcome.Interrupted ? " (interrupted)" : ""));
        var firstStart = done.Min(s => s.StartedUtc!.Value);
        var lastFinish = done.Max(s => s.FinishedUtc!.Value);
        int slots = settings.Silos * settings.Slots;
        int waves = (settings.Runs + slots - 1) / slots;
        var gaps = RefillGaps(done);
        return new SchedulerBenchmarkResult(
            settings,
            done.Count,
            clusterStart,
            firstStart - launched,
            lastFinish - firstStart,
            TimeSpan.FromSeconds(waves * settings.Seconds),
            done.GroupBy(s => s.Silo).Max(MostAtOnce),
            done.Select(s => s.Silo).Distinct().Count(),
            Percentile(gaps, 0.5),
            Percentile(gaps, 0.9),
            // How long after the first start every slot had its first run.
            done.Select(s => s.StartedUtc!.Value).Order().ElementAt(Math.Min(slots, done.Count) - 1) - firstStart,
            done.Count / Math.Max(1e-9, (lastFinish - outcome.StartedUtc).TotalSeconds),
            lines.First,
            lines.LongestGap,
            lines.Count,
            TrainingBenchmark.ResidentMegabytes("VmHWM:"));
    }

    /// <summary>For each run that finished while later runs had not started yet: the time until the next start on its
    /// silo, the cost the runner adds to every refill of a slot.</summary>
    static List<TimeSpan> RefillGaps(IReadOnlyList<RunStatus> done)
    {
        var lastStart = done.Max(s => s.StartedUtc!.Value);
        var gaps = new List<TimeSpan>();
        foreach (var silo in done.GroupBy(s => s.Silo))
        {
            var starts = silo.Select(s => s.StartedUtc!.Value).Order().ToList();
            foreach (var finish in silo.Select(s => s.FinishedUtc!.Value).Where(f => f < lastStart))
            {
                int next = starts.BinarySearch(finish);
                if (next < 0) next = ~next;
                if (next < starts.Count) gaps.Add(starts[next] - finish);
            }
        }
        return gaps;
    }

    static TimeSpan Percentile(List<TimeSpan> values, double fraction) =>
        values.Count == 0 ? TimeSpan.Zero : values.Order().ElementAt((int)Math.Min(values.Count - 1, Math.Floor(fraction * values.Count)));

    /// <summary>The most runs whose [started, finished] intervals cover one instant; on ties an end comes first.</summary>
    static int MostAtOnce(IEnumerable<RunStatus> runs)
    {
        var edges = runs
            .SelectMany(s => new[] { (Time: s.StartedUtc!.Value, Step: +1), (Time: s.FinishedUtc!.Value, Step: -1) })
            .OrderBy(e => e.Time).ThenBy(e => e.Step);
        int now = 0, most = 0;
        foreach (var edge in edges) most = Math.Max(most, now += edge.Step);
        return most;
    }

    static async Task<IHost> StartSilo(int siloPort, IPEndPoint? primary, SchedulerBenchmarkSettings settings, string dataDirectory,
        string logFile, CancellationToken cancel)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        ClientHostDefaults.Apply(builder, logFile);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, FreePort(), primary, serviceId: "gfe-bench", clusterId: "gfe-bench");
            silo.AddGfeRunner(new GfeSiloOptions { Slots = settings.Slots, DataDirectory = dataDirectory, CheckpointEvery = 0 });
        });
        var host = builder.Build();
        await host.StartAsync(cancel);
        return host;
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A writer that forwards lines and notes when each was written: the progress lines' timing, as a user
/// watching a log would see it.</summary>
sealed class TimedLines(TextWriter inner) : TextWriter
{
    readonly Stopwatch clock = Stopwatch.StartNew();
    TimeSpan? last;

    public override Encoding Encoding => inner.Encoding;

    public TimeSpan First { get; private set; }

    public TimeSpan LongestGap { get; private set; }

    public int Count { get; private set; }

    public override void WriteLine(string? value)
    {
        var now = clock.Elapsed;
        if (last is { } previous) LongestGap = TimeSpan.FromTicks(Math.Max(LongestGap.Ticks, (now - previous).Ticks));
        else First = now;
        last = now;
        Count++;
        inner.WriteLine(value);
    }
}
