using System.Globalization;
using Gfe.Abstractions;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Gfe.Client.Running;

/// <summary>
/// The progress of a sweep on a terminal, redrawn in place after every poll: the counts of the sweep, then the
/// running runs with a progress bar each, then the latest failures. Long sweeps show only as many rows as fit.
/// </summary>
public static class LiveSweepView
{
    const int MaxRows = 16;
    const int BarWidth = 20;

    public static async Task<SweepOutcome> ShowAsync(IAnsiConsole console, string sweepName, Func<Action<SweepProgress>, Task<SweepOutcome>> run)
    {
        SweepOutcome? outcome = null;
        await console.Live(new Text($"sweep {sweepName}: submitting…"))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async context =>
            {
                outcome = await run(progress =>
                {
                    context.UpdateTarget(Render(sweepName, progress));
                    context.Refresh();
                });
            });
        return outcome!;
    }

    public static IRenderable Render(string sweepName, SweepProgress progress)
    {
        var table = new Table().Border(TableBorder.Simple).Expand();
        table.AddColumn(new TableColumn("run").NoWrap());
        table.AddColumns("state", "progress", "images", "train loss", "silo");
        var running = progress.Runs.Where(r => r.Status.State == RunState.Running).ToList();
        var failed = progress.Runs.Where(r => r.Status.State is RunState.Failed or RunState.Cancelled).Reverse().ToList();
        var shown = running.Concat(failed).Take(MaxRows).ToList();
        foreach (var (run, status) in shown)
        {
            table.AddRow(
                new Text(run.Key),
                new Markup(StateMarkup(status.State)),
                new Text(status.State == RunState.Running ? $"{Bar(status.Progress)} {status.Phase}" : Shorten(status.Error ?? "", 60)),
                new Text(status.ImagesSeen.ToString(CultureInfo.InvariantCulture)),
                new Text(status.TrainLoss?.ToString("0.0000", CultureInfo.InvariantCulture) ?? ""),
                new Text(status.Silo ?? ""));
        }
        var hidden = running.Count + failed.Count - shown.Count;
        var header = new Markup(
            $"[bold]sweep {Markup.Escape(sweepName)}[/]  [green]{progress.Completed} done[/]  [blue]{progress.Running} running[/]  " +
            $"{progress.Queued} queued  [red]{progress.Failed} failed[/]  of {progress.Total}  ({progress.Elapsed:hh\\:mm\\:ss})");
        List<IRenderable> parts = [header, table];
        if (hidden > 0) parts.Add(new Text($"… and {hidden} more"));
        if (progress.PollError is { } error) parts.Add(new Markup($"[yellow]cluster: {Markup.Escape(Shorten(error, 120))}[/]"));
        return new Rows(parts);
    }

    static string Bar(double fraction)
    {
        int filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * BarWidth);
        return new string('█', filled) + new string('░', BarWidth - filled) + $" {fraction * 100,3:0}%";
    }

    static string StateMarkup(RunState state) => state switch
    {
        RunState.Running => "[blue]running[/]",
        RunState.Failed => "[red]failed[/]",
        RunState.Cancelled => "[red]cancelled[/]",
        RunState.Stopped => "[yellow]stopped[/]",
        _ => state.ToString().ToLowerInvariant(),
    };

    static string Shorten(string text, int length)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= length ? line : line[..(length - 1)] + "…";
    }
}
