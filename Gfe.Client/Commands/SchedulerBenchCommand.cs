using System.CommandLine;
using System.Globalization;
using Gfe.Client.Running;

namespace Gfe.Client.Commands;

/// <summary><c>gfe bench scheduler</c>: the pull scheduler and the runner's overhead at scale, on simulated runs
/// (<see cref="SchedulerBenchmark"/>).</summary>
public static class SchedulerBenchCommand
{
    public static Command Create(Terminal terminal)
    {
        var defaults = new SchedulerBenchmarkSettings();
        var silos = NumberOptions.Whole("--silos", $"Silos started in this process (default {defaults.Silos}); ignored with --local.", 1, 64, defaults.Silos);
        var slots = NumberOptions.Whole("--slots", $"Job slots per silo (default {defaults.Slots}).", 1, 256, defaults.Slots);
        var runs = NumberOptions.Whole("--runs", $"Simulated runs (default {defaults.Runs}).", 1, SchedulerBenchmarkSettings.MaxRuns, defaults.Runs);
        var seconds = NumberOptions.Real("--seconds", $"Length of each run in seconds (default {defaults.Seconds}).", 0, 3600, defaults.Seconds, aboveMin: true, helpName: "S");
        var poll = NumberOptions.Whole("--poll-ms",
            $"How often the client polls the unfinished runs, in milliseconds (default {defaults.Poll.TotalMilliseconds:F0}, as gfe sweep run).",
            10, 60_000, (int)defaults.Poll.TotalMilliseconds, "MS");
        var local = new Option<bool>("--local")
        {
            Description = "Local mode exactly as 'gfe sweep run' without --cluster starts it: one silo in this process with --slots slots.",
        };
        var validateOnly = new Option<bool>("--validate-only")
        {
            Description = "Only time the validation of a sweep file of --runs runs (e.g. --runs 100000); start nothing.",
        };
        var log = new Option<string>("--log") { Description = $"Where the silos log (default: bench-scheduler.log in {StatePaths.Directory}).", HelpName = "FILE" };

        var command = new Command("scheduler", $"""
            Measure the scheduler and the runner's overhead: start N silos with localhost clustering in this process
            (or, with --local, the one silo of local mode), validate a sweep file of simulated runs (they sleep; no
            torch), run them through the same sweep runner and plain progress lines as `gfe sweep run`, and print:
            the validation time; the makespan (first start to last finish), the ideal makespan (runs x seconds over all
            slots, in whole waves) and their ratio; completed runs per second from submission to the last finish; the
            most runs any silo trained at once; the time from launch to the first run's start; the time to the first
            progress line and the longest gap between progress lines; and the process's peak resident memory.
            {ExitCodes.Help}
            """);
        foreach (var option in new Option[] { silos, slots, runs, seconds, poll, local, validateOnly, log })
            command.Options.Add(option);

        command.SetAction(async (parse, cancel) =>
        {
            var settings = new SchedulerBenchmarkSettings
            {
                Silos = parse.GetValue(local) ? 1 : parse.GetValue(silos), Slots = parse.GetValue(slots), Runs = parse.GetValue(runs),
                Seconds = parse.GetValue(seconds), Poll = TimeSpan.FromMilliseconds(parse.GetValue(poll)), Local = parse.GetValue(local),
            };
            var (sweep, validation, validationCpu) = SchedulerBenchmark.Validate(settings);
            terminal.Output.WriteLine($"gfe bench scheduler: validated a sweep file of {sweep.Runs.Count} runs in {F(validation.TotalSeconds, 2)} s " +
                                      $"({F(validationCpu.TotalSeconds, 2)} s of CPU)");
            if (parse.GetValue(validateOnly)) return ExitCodes.Success;

            var logFile = parse.GetValue(log) ?? Path.Combine(StatePaths.Create(), "bench-scheduler.log");
            terminal.Output.WriteLine($"gfe bench scheduler: {(settings.Local ? "local mode, 1 silo" : $"{settings.Silos} silos")} x {settings.Slots} slots, " +
                                      $"{settings.Runs} runs of {F(settings.Seconds, 2)} s, {Environment.ProcessorCount} cores; silos log to {logFile}");
            var result = await SchedulerBenchmark.RunAsync(settings, sweep, terminal.Output, logFile, cancel);
            terminal.Output.WriteLine($"  completed runs        {result.Completed}/{settings.Runs} on {result.SilosUsed} silo(s)");
            terminal.Output.WriteLine($"  validation            {F(validation.TotalSeconds, 2)} s for {settings.Runs} runs ({F(validationCpu.TotalSeconds, 2)} s of CPU)");
            terminal.Output.WriteLine($"  cluster started in    {F(result.ClusterStart.TotalSeconds, 2)} s");
            terminal.Output.WriteLine($"  launch -> first run   {F(result.LaunchToFirstStart.TotalSeconds, 2)} s");
            terminal.Output.WriteLine($"  makespan              {F(result.Makespan.TotalSeconds, 2)} s");
            terminal.Output.WriteLine($"  ideal                 {F(result.Ideal.TotalSeconds, 2)} s ({(settings.Runs + result.TotalSlots - 1) / result.TotalSlots} waves on {result.TotalSlots} slots)");
            terminal.Output.WriteLine($"  makespan / ideal      {F(result.Ratio, 3)}");
            terminal.Output.WriteLine($"  throughput            {F(result.RunsPerSecond, 1)} runs/s from submission to the last finish (capacity {F(result.TotalSlots / settings.Seconds, 0)})");
            terminal.Output.WriteLine($"  CPU per run           {F(result.CpuPerRun.TotalMilliseconds, 2)} ms (whole process), so at most {F(Environment.ProcessorCount / result.CpuPerRun.TotalSeconds, 0)} runs/s on {Environment.ProcessorCount} idle cores");
            terminal.Output.WriteLine($"  most at once, 1 silo  {result.MostAtOnceOnOneSilo} (slots {settings.Slots})");
            terminal.Output.WriteLine($"  first wave filled in  {F(result.FirstWaveFilled.TotalSeconds, 2)} s after the first start");
            terminal.Output.WriteLine($"  slot refill gap       median {F(result.MedianRefill.TotalMilliseconds, 0)} ms, p90 {F(result.P90Refill.TotalMilliseconds, 0)} ms");
            terminal.Output.WriteLine($"  progress lines        first after {F(result.FirstProgressLine.TotalSeconds, 2)} s, longest gap {F(result.LongestProgressGap.TotalSeconds, 2)} s, {result.ProgressLines} lines");
            terminal.Output.WriteLine($"  peak memory           {F(result.PeakMegabytes, 0)} MB resident (whole process: client and silos); {F(result.LiveBytesPerRun / 1024, 1)} KB of live managed heap per run after the sweep, {F(result.HeapMegabytes, 0)} MB of managed heap and {F(result.GcCommittedMegabytes, 0)} MB committed by the GC at the end");
            if (result.Completed != settings.Runs)
                throw new GfeException(ExitCodes.RunsFailed, $"only {result.Completed} of {settings.Runs} runs completed");
            return ExitCodes.Success;
        });
        return command;
    }

    static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
