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
        var silos = new Option<int>("--silos") { Description = $"Silos started in this process (default {defaults.Silos}).", DefaultValueFactory = _ => defaults.Silos };
        var slots = new Option<int>("--slots") { Description = $"Job slots per silo (default {defaults.Slots}).", DefaultValueFactory = _ => defaults.Slots };
        var runs = new Option<int>("--runs") { Description = $"Simulated runs (default {defaults.Runs}).", DefaultValueFactory = _ => defaults.Runs };
        var seconds = new Option<double>("--seconds") { Description = $"Length of each run in seconds (default {defaults.Seconds}).", DefaultValueFactory = _ => defaults.Seconds };
        var poll = new Option<int>("--poll-ms")
        {
            Description = $"How often the client polls every unfinished run, in milliseconds (default {defaults.Poll.TotalMilliseconds:F0}, as gfe sweep run).",
            DefaultValueFactory = _ => (int)defaults.Poll.TotalMilliseconds,
        };
        var log = new Option<string>("--log") { Description = "Where the silos log (default: a file in the temp directory).", HelpName = "FILE" };

        var command = new Command("scheduler", """
            Measure the scheduler and the runner's overhead: start N silos with localhost clustering in this process,
            submit simulated runs (they sleep; no torch) through the same sweep runner as `gfe sweep run`, and print,
            from the runs' records, the makespan (first start to last finish), the ideal makespan (runs x seconds over
            all slots, in whole waves), their ratio, the most runs any silo trained at once, and the time from launch
            to the first run's start. Exit codes: 0 done, 1 runs did not complete, 2 invalid arguments, 130 interrupted.
            """);
        foreach (var option in new Option[] { silos, slots, runs, seconds, poll, log })
            command.Options.Add(option);

        command.SetAction(async (parse, cancel) =>
        {
            var settings = new SchedulerBenchmarkSettings
            {
                Silos = parse.GetValue(silos), Slots = parse.GetValue(slots), Runs = parse.GetValue(runs), Seconds = parse.GetValue(seconds),
                Poll = TimeSpan.FromMilliseconds(parse.GetValue(poll)),
            };
            if (settings.Problems() is { Count: > 0 } problems)
            {
                foreach (var problem in problems) terminal.Error.WriteLine($"error: {problem}");
                return ExitCodes.InvalidInput;
            }
            var logFile = parse.GetValue(log) ?? Path.Combine(Path.GetTempPath(), "gfe-bench-scheduler.log");
            terminal.Output.WriteLine($"gfe bench scheduler: {settings.Silos} silos x {settings.Slots} slots, {settings.Runs} runs of " +
                                      $"{F(settings.Seconds, 2)} s, {Environment.ProcessorCount} cores; silos log to {logFile}");
            SchedulerBenchmarkResult result;
            try
            {
                result = await SchedulerBenchmark.RunAsync(settings, logFile, cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }
            catch (InvalidOperationException e)
            {
                terminal.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.RunsFailed;
            }
            terminal.Output.WriteLine($"  completed runs        {result.Completed}/{settings.Runs} on {result.SilosUsed} silo(s)");
            terminal.Output.WriteLine($"  cluster started in    {F(result.ClusterStart.TotalSeconds, 2)} s");
            terminal.Output.WriteLine($"  launch -> first run   {F(result.LaunchToFirstStart.TotalSeconds, 2)} s");
            terminal.Output.WriteLine($"  makespan              {F(result.Makespan.TotalSeconds, 2)} s");
            terminal.Output.WriteLine($"  ideal                 {F(result.Ideal.TotalSeconds, 2)} s ({(settings.Runs + result.TotalSlots - 1) / result.TotalSlots} waves on {result.TotalSlots} slots)");
            terminal.Output.WriteLine($"  makespan / ideal      {F(result.Ratio, 3)}");
            terminal.Output.WriteLine($"  most at once, 1 silo  {result.MostAtOnceOnOneSilo} (slots {settings.Slots})");
            terminal.Output.WriteLine($"  first wave filled in  {F(result.FirstWaveFilled.TotalSeconds, 2)} s after the first start");
            terminal.Output.WriteLine($"  slot refill gap       median {F(result.MedianRefill.TotalMilliseconds, 0)} ms, p90 {F(result.P90Refill.TotalMilliseconds, 0)} ms");
            return result.Completed == settings.Runs ? ExitCodes.Success : ExitCodes.RunsFailed;
        });
        return command;
    }

    static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
