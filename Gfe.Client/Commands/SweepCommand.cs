using System.CommandLine;
using Gfe.Client.Running;
using Gfe.Client.Sweeps;
using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using Spectre.Console;

namespace Gfe.Client.Commands;

/// <summary><c>gfe sweep</c>: run, validate and describe sweep files.</summary>
public static class SweepCommand
{
    public static Command Create(Terminal terminal)
    {
        var sweep = new Command("sweep", "Run sweeps: many training runs (a grid over method, dataset, train size, seed and any run setting) described by one YAML file.");
        sweep.Subcommands.Add(CreateRun(terminal));
        sweep.Subcommands.Add(CreateValidate(terminal));
        sweep.Subcommands.Add(CreateListSettings(terminal));
        foreach (var attach in SweepAttachCommands.Create(terminal)) sweep.Subcommands.Add(attach);
        return sweep;
    }

    /// <summary>Far more runs at once than any machine has cores; beyond it a typo is likelier than a wish.</summary>
    const int MaxLocalSlots = 4096;

    /// <summary>--data-dir, for every command that reads a sweep file: a sweep may name datasets declared in the data
    /// directory (docs/data.md), so each of them looks there as <c>gfe sweep run</c> does.</summary>
    internal static Option<string> DataDirOption(string purpose) => new("--data-dir")
    {
        Description = $"{purpose} Default: ${DataPaths.EnvironmentVariable}, else ~/.local/share/gfe/data.",
        HelpName = "DIR",
        DefaultValueFactory = _ => DataPaths.DefaultDirectory,
    };

    static Argument<string> SweepFileArgument() => new("file")
    {
        Description = "The sweep file (YAML): a name, a grid of settings and/or a list of runs. See docs/sweep-files.md and 'gfe sweep list-settings'.",
    };

    static Command CreateRun(Terminal terminal)
    {
        var file = SweepFileArgument();
        var results = new Option<string>("--results")
        {
            Description = "Folder that receives the results; they go to <DIR>/<sweep name>/ (runs.csv, curves.csv, table.md, table.csv, manifest.json, gfe.log).",
            HelpName = "DIR",
            DefaultValueFactory = _ => "results",
        };
        var dataDir = DataDirOption("Where datasets live (local mode); missing ones are fetched before the runs start, and datasets declared there can be named.");
        var slots = NumberOptions.OptionalWhole("--slots",
            "Local mode: how many runs train at the same time in this process (default: the runner's choice, one per core). Each run uses one core.",
            1, MaxLocalSlots);
        var quiet = new Option<bool>("--quiet", "-q")
        {
            Description = "No progress display; print only problems. The exit code and the result files tell the outcome.",
        };
        var cluster = ClusterArguments.Cluster(
            $"Run on a running cluster (gfe-silo processes) instead of a silo inside this process: 'localhost', 'localhost:PORT' or 'host:port,host:port' (gateways), or 'redis://[:PASSWORD@]HOST[:PORT]' (silos with Clustering=redis; the password may instead come from ${ClusterAddress.RedisPasswordVariable}). Default: ${ClusterConnection.EnvironmentVariable}; unset means local mode.");
        var connectTimeout = ClusterArguments.ConnectTimeout();
        var restart = new Option<bool>("--restart")
        {
            Description = "A sweep with earlyStop whose search was cancelled ('gfe sweep cancel') starts its search afresh; runs trained already are reused. Without it, running a cancelled search again writes its results and says so (exit code 1).",
        };

        var command = new Command("run", $"""
            Validate a sweep file, then train every run it describes and write the results.
            Each run is a grain keyed by its settings: a run already done on the cluster is reused, not trained again.
            Progress is shown live on a terminal and as periodic lines otherwise (CI, pipes). Ctrl+C stops waiting,
            writes what has finished and exits with 130.
            {ExitCodes.Help}
            """);
        command.Arguments.Add(file);
        command.Options.Add(results);
        command.Options.Add(dataDir);
        command.Options.Add(slots);
        command.Options.Add(quiet);
        command.Options.Add(cluster);
        command.Options.Add(connectTimeout);
        command.Options.Add(restart);
        command.SetAction((parse, cancel) => SweepRunCommand.ExecuteAsync(
            new SweepRunRequest(
                parse.GetValue(file)!,
                parse.GetValue(results)!,
                parse.GetValue(dataDir)!,
                parse.GetValue(slots),
                parse.GetValue(quiet),
                parse.GetValue(cluster),
                TimeSpan.FromSeconds(parse.GetValue(connectTimeout)),
                parse.GetValue(restart)),
            terminal,
            cancel));
        return command;
    }

    static Command CreateValidate(Terminal terminal)
    {
        var file = SweepFileArgument();
        var command = new Command("validate", $"""
            Check a sweep file without running anything and print the runs it expands to, in order, with their keys.
            Every problem is listed as file:line:column: key: message.
            {ExitCodes.Help}
            """);
        var dataDir = DataDirOption("Where the datasets declared by 'gfe data add' are found, as for 'gfe sweep run'.");
        command.Arguments.Add(file);
        command.Options.Add(dataDir);
        command.SetAction(parse => Validate(parse.GetValue(file)!, parse.GetValue(dataDir)!, terminal));
        return command;
    }

    static int Validate(string path, string dataDirectory, Terminal terminal)
    {
        var sweep = SweepFileParser.Load(path, dataDirectory);
        terminal.Output.WriteLine($"sweep {sweep.Name}: {sweep.Runs.Count} runs" + (sweep.Description.Length > 0 ? $" ({sweep.Description.Trim()})" : ""));
        foreach (var note in sweep.DuplicateNotes) terminal.Output.WriteLine($"note: {note}");

        // Show the settings a person scans for, plus every other setting that differs between runs.
        string[] always = ["method", "dataset", "trainSize", "seed"];
        var varying = RunParameters.All.Select(p => p.Name)
            .Where(name => !always.Contains(name))
            .Where(name => sweep.Runs.Select(r => r.Spec.Settings[name]).Distinct().Count() > 1);
        List<string> columns = [.. always, .. varying];

        var table = new Table().Border(TableBorder.Simple);
        table.AddColumn("#");
        table.AddColumn("key");
        foreach (var column in columns) table.AddColumn(Markup.Escape(column));
        table.AddColumn("from");
        for (int i = 0; i < sweep.Runs.Count; i++)
        {
            var run = sweep.Runs[i];
            table.AddRow([
                (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(run.Key),
                .. columns.Select(c => Markup.Escape(run.Spec.Settings[c])),
                Markup.Escape(run.Source),
            ]);
        }
        terminal.Out.Write(table);
        return ExitCodes.Success;
    }

    static Command CreateListSettings(Terminal terminal)
    {
        var command = new Command("list-settings",
            "List every setting a sweep file may use (under 'grid', 'settings' or 'runs'), with its default and meaning, and the datasets.");
        command.SetAction(_ =>
        {
            var defaults = RunParameters.ToList(new RunConfig()).ToDictionary(kv => kv.Key, kv => kv.Value);
            var settings = new Table().Border(TableBorder.Simple).Title("run settings");
            settings.AddColumns("setting", "default", "meaning");
            foreach (var parameter in RunParameters.All)
                settings.AddRow(Markup.Escape(parameter.Name), Markup.Escape(defaults[parameter.Name]), Markup.Escape(parameter.Description));
            terminal.Out.Write(settings);

            var datasets = new Table().Border(TableBorder.Simple).Title("datasets");
            datasets.AddColumns("dataset", "train images", "test images", "description");
            foreach (var dataset in DatasetCatalog.All)
                datasets.AddRow(Markup.Escape(dataset.Name), dataset.TrainCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    dataset.TestCount.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(dataset.Description));
            terminal.Out.Write(datasets);
            return ExitCodes.Success;
        });
        return command;
    }
}
