using System.CommandLine;
using Gfe.Engine.Data;

namespace Gfe.Client.Commands;

/// <summary><c>gfe data</c>: manage the datasets of a data directory.</summary>
public static class DataCommand
{
    public const string All = "all";

    public static Command Create(Terminal terminal)
    {
        var data = new Command("data", "Manage the datasets that runs train and test on.");
        data.Subcommands.Add(CreateFetch(terminal));
        return data;
    }

    static Command CreateFetch(Terminal terminal)
    {
        string[] names = [.. DatasetCatalog.All.Select(d => d.Name), All];
        var dataset = new Argument<string>("dataset")
        {
            Description = $"Which dataset to fetch: {string.Join(", ", names)}.",
            DefaultValueFactory = _ => All,
        };
        dataset.AcceptOnlyFromAmong(names);
        var dataDir = new Option<string>("--data-dir")
        {
            Description = $"Where datasets live. Default: ${DataPaths.EnvironmentVariable}, else ~/.local/share/gfe/data.",
            HelpName = "DIR",
            DefaultValueFactory = _ => DataPaths.DefaultDirectory,
        };
        var command = new Command("fetch", $"""
            Make sure a dataset is present in the data directory, fetching it if it is missing (from a local copy, the
            download mirrors or the offline sources, checksums verified). Present datasets are left alone.
            {ExitCodes.Help}
            """);
        command.Arguments.Add(dataset);
        command.Options.Add(dataDir);
        command.SetAction((parse, cancel) =>
        {
            var choice = parse.GetValue(dataset)!;
            IReadOnlyList<string> wanted = choice == All ? [.. DatasetCatalog.All.Select(d => d.Name)] : [choice];
            return DatasetFetcher.EnsureAsync(wanted, parse.GetValue(dataDir)!, terminal, cancel);
        });
        return command;
    }
}
