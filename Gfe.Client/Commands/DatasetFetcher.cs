using Gfe.Engine.Data;
using Spectre.Console;

namespace Gfe.Client.Commands;

/// <summary>
/// Makes sure datasets are present in a data directory (fetching the missing ones through the engine's
/// <see cref="DatasetStore"/>), with a progress bar per dataset on a terminal and one line per step otherwise.
/// </summary>
public static class DatasetFetcher
{
    /// <summary>Returns <see cref="ExitCodes.Success"/>, or throws <see cref="GfeException"/> saying why: with
    /// <see cref="ExitCodes.Unavailable"/> when a dataset could not be had, with <see cref="ExitCodes.InvalidInput"/>
    /// for a declared dataset whose files are unusable.</summary>
    public static async Task<int> EnsureAsync(IReadOnlyList<string> datasets, string dataDirectory, Terminal terminal, CancellationToken cancel)
    {
        var store = new DatasetStore(dataDirectory);
        try
        {
            if (terminal.Interactive)
            {
                await terminal.Out.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                    .StartAsync(async context =>
                    {
                        foreach (var name in datasets)
                        {
                            var task = context.AddTask(Markup.Escape(name), maxValue: 1);
                            var progress = new InlineProgress<FetchProgress>(p =>
                            {
                                task.Description = Markup.Escape($"{p.Dataset}: {p.Step}");
                                task.IsIndeterminate = p.Fraction is null;
                                if (p.Fraction is { } fraction) task.Value = fraction;
                            });
                            var provenance = await Task.Run(() => store.Ensure(name, progress, cancel), cancel);
                            task.Description = Markup.Escape($"{name}: {provenance}");
                            task.IsIndeterminate = false;
                            task.Value = 1;
                        }
                    });
            }
            else
            {
                foreach (var name in datasets)
                {
                    string? lastStep = null;
                    var progress = new InlineProgress<FetchProgress>(p =>
                    {
                        if (p.Step == lastStep) return;
                        lastStep = p.Step;
                        terminal.Out.WriteLine($"{p.Dataset}: {p.Step}");
                    });
                    var provenance = await Task.Run(() => store.Ensure(name, progress, cancel), cancel);
                    terminal.Out.WriteLine($"{name}: ready ({provenance})");
                }
            }
            return ExitCodes.Success;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new GfeException(ExitCodes.Interrupted, "interrupted while fetching data");
        }
        catch (Gfe.Engine.Data.Files.DataInputException e)
        {
            // The user's own files are there but cannot be used as they are (docs/data.md, "Bad input").
            throw GfeException.InvalidInput(e.Message);
        }
        catch (Exception e) when (e is DataException or IOException or UnauthorizedAccessException)
        {
            throw GfeException.Unavailable($"data in {store.Directory}: {e.Message}", e);
        }
    }
}
