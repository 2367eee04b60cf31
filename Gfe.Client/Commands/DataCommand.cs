using System.CommandLine;
using System.Globalization;
using Gfe.Engine.Data;
using Gfe.Engine.Data.Files;
using Spectre.Console;

namespace Gfe.Client.Commands;

/// <summary><c>gfe data</c>: manage the datasets of a data directory: fetch the built-in ones, declare your own
/// (<c>add</c>), list them all.</summary>
public static class DataCommand
{
    public const string All = "all";

    public static Command Create(Terminal terminal)
    {
        var data = new Command("data", "Manage the datasets that runs train and test on: built-in ones and your own files (docs/data.md).");
        data.Subcommands.Add(CreateFetch(terminal));
        data.Subcommands.Add(CreateAdd(terminal));
        data.Subcommands.Add(CreateList(terminal));
        var synth = new Command("synth", "Generate a physics dataset and declare it.");
        synth.Subcommands.Add(CreateIsing(terminal));
        data.Subcommands.Add(synth);
        return data;
    }

    static Option<string> DataDirOption() => new("--data-dir")
    {
        Description = $"Where datasets live. Default: ${DataPaths.EnvironmentVariable}, else ~/.local/share/gfe/data.",
        HelpName = "DIR",
        DefaultValueFactory = _ => DataPaths.DefaultDirectory,
    };

    static Command CreateFetch(Terminal terminal)
    {
        string[] names = [.. DatasetCatalog.All.Select(d => d.Name), All];
        var dataset = new Argument<string>("dataset")
        {
            Description = $"Which dataset to fetch: {string.Join(", ", names)}.",
            DefaultValueFactory = _ => All,
        };
        dataset.AcceptOnlyFromAmong(names);
        var dataDir = DataDirOption();
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

    static Command CreateAdd(Terminal terminal)
    {
        var name = new Argument<string>("name") { Description = "The dataset's name, as sweep files give it (dataset: NAME)." };
        var train = new Argument<string>("train-file")
        {
            Description = "The training data: FILE.npy, FILE.npz[:ARRAY], FILE.csv/.tsv, FILE.h5:/group/dataset or an IDX file; one sample per row of the first axis.",
        };
        var test = new Option<string?>("--test") { Description = "A separate test file (same formats, same sample shape).", HelpName = "FILE" };
        var fraction = new Option<double?>("--test-fraction") { Description = "Instead of --test: cut this fraction of the training file off as the test split.", HelpName = "F" };
        var seed = new Option<int>("--seed") { Description = "Seed of the --test-fraction cut.", DefaultValueFactory = _ => 0 };
        var labels = new Option<string?>("--labels") { Description = "Per-sample labels of the training file ([N] or [N, k]), kept for plots and analysis.", HelpName = "FILE" };
        var testLabels = new Option<string?>("--test-labels") { Description = "Per-sample labels of the --test file.", HelpName = "FILE" };
        var labelNames = new Option<string?>("--label-names")
        {
            Description = "Names of the label columns, comma-separated (e.g. temperature,magnetisation), for the report's figures and tables.",
            HelpName = "NAMES",
        };
        var normalize = new Option<string>("--normalize")
        {
            Description = "none, minmax (each feature to [0,1]) or standard (mean 0, std 1), fitted on the training split only.",
            DefaultValueFactory = _ => "none",
        };
        normalize.AcceptOnlyFromAmong("none", "minmax", "standard");
        var loss = new Option<string>("--loss") { Description = "The dataset's default loss: bce (values in [0,1]) or mse.", DefaultValueFactory = _ => "bce" };
        loss.AcceptOnlyFromAmong(DatasetDeclaration.Losses);
        var description = new Option<string>("--description") { Description = "One line on what the data are.", DefaultValueFactory = _ => "" };
        var force = new Option<bool>("--force") { Description = "Replace an existing declaration of that name (e.g. after the files changed)." };
        var dataDir = DataDirOption();
        var command = new Command("add", """
            Declare a dataset from your own files: check them completely (format, shape, finite values, train and test
            alike, value range for loss bce) and write datasets/NAME.yaml in the data directory with the files'
            checksums, shapes and dtypes. Sweeps then use it as 'dataset: NAME'.
            Exit codes: 0 declared, 2 invalid data or arguments, 3 a file is missing or unreadable.
            """);
        command.Arguments.Add(name);
        command.Arguments.Add(train);
        foreach (var option in new Option[] { test, fraction, seed, labels, testLabels, labelNames, normalize, loss, description, force, dataDir })
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var datasetName = parse.GetValue(name)!;
            var directory = Path.GetFullPath(parse.GetValue(dataDir)!);
            if (DatasetDeclaration.NameProblem(datasetName) is { } problem)
                throw GfeException.InvalidInput(problem);
            if ((parse.GetValue(test) is null) == (parse.GetValue(fraction) is null))
                throw GfeException.InvalidInput("give either --test FILE or --test-fraction F");
            if (parse.GetValue(fraction) is { } f && !(f > 0 && f < 1))
                throw GfeException.InvalidInput($"--test-fraction must lie between 0 and 1 (exclusive), not {f.ToString(CultureInfo.InvariantCulture)}");
            var path = DatasetDeclaration.PathIn(directory, datasetName);
            if (File.Exists(path) && !parse.GetValue(force))
                throw GfeException.InvalidInput($"dataset '{datasetName}' is already declared in {path}; use --force to replace it");
            string? Absolute(string? reference) =>
                reference is null ? null : DataFileReference.Parse(reference, Environment.CurrentDirectory).ToString();
            return GfeException.FromData(() =>
            {
                var declaration = new DatasetDeclaration(datasetName, parse.GetValue(description)!, Absolute(parse.GetValue(train))!,
                    Absolute(parse.GetValue(test)), parse.GetValue(fraction), parse.GetValue(seed), Absolute(parse.GetValue(labels)),
                    Absolute(parse.GetValue(testLabels)), Normalization.ParseMode(parse.GetValue(normalize)!)!.Value,
                    parse.GetValue(loss)!, [], Path.GetDirectoryName(path)!)
                {
                    LabelNames = parse.GetValue(labelNames) is { } names ? [.. names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)] : [],
                };
                if (declaration.LabelNames.Count > 0 && declaration.Labels is null)
                    throw GfeException.InvalidInput("--label-names names the columns of --labels; give --labels too");
                if (declaration.TestLabels is not null && declaration.Test is null)
                    throw GfeException.InvalidInput("--test-labels needs --test; with --test-fraction the --labels file is cut like the data");
                var recorded = DeclaredDataset.Record(declaration);
                var splits = DeclaredDataset.Load(recorded);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, recorded.ToYaml());
                terminal.Output.WriteLine(
                    $"declared {datasetName}: {splits.Train.Count} train and {splits.Test.Count} test samples of shape " +
                    $"[{string.Join(", ", splits.SampleShape)}] ({splits.FeatureCount} features), normalize {Normalization.Text(declaration.Normalize)}, loss {declaration.Loss}");
                terminal.Output.WriteLine($"  {splits.Provenance}");
                terminal.Output.WriteLine($"  written to {path}");
                return ExitCodes.Success;
            });
        });
        return command;
    }

    static Command CreateList(Terminal terminal)
    {
        var dataDir = DataDirOption();
        var command = new Command("list", """
            List every dataset a sweep can name: the built-in ones (with whether they are present) and those declared in
            the data directory, with their shape and source.
            """);
        command.Options.Add(dataDir);
        command.SetAction(parse =>
        {
            var store = new DatasetStore(parse.GetValue(dataDir)!);
            var table = new Table().Border(TableBorder.Simple);
            table.AddColumns("dataset", "train", "test", "sample", "source", "description");
            foreach (var info in DatasetCatalog.All)
            {
                var folder = store.DatasetDirectory(info.Name);
                var present = DatasetLayout.AnyPresent(folder) ? $"built-in, in {folder}" : "built-in, not fetched yet";
                table.AddRow(Markup.Escape(info.Name), Count(info.TrainCount), Count(info.TestCount), "28x28", Markup.Escape(present), Markup.Escape(info.Description));
            }
            foreach (var name in store.DeclaredNames())
            {
                try
                {
                    var declaration = store.Declaration(name);
                    var trainFile = declaration.Files.FirstOrDefault(f => f.Reference == declaration.Train);
                    var testFile = declaration.Test is null ? null : declaration.Files.FirstOrDefault(f => f.Reference == declaration.Test);
                    string sample = trainFile is null ? "?" : trainFile.Shape.Length <= 1 ? "1" : string.Join("x", trainFile.Shape[1..]);
                    string trainText = trainFile is null ? "?" : declaration.TestFraction is { } f
                        ? Count(trainFile.Shape[0] - (int)Math.Round(trainFile.Shape[0] * f, MidpointRounding.AwayFromZero))
                        : Count(trainFile.Shape[0]);
                    string testText = declaration.TestFraction is { } tf
                        ? trainFile is null ? $"{tf:P0}" : Count((int)Math.Round(trainFile.Shape[0] * tf, MidpointRounding.AwayFromZero))
                        : testFile is null ? "?" : Count(testFile.Shape[0]);
                    string source = $"{declaration.Train}" + (trainFile is null ? "" : $" ({trainFile.DType})") +
                        (declaration.Test is null ? "" : $" + {declaration.Test}");
                    table.AddRow(Markup.Escape(name), trainText, testText, Markup.Escape(sample), Markup.Escape(source), Markup.Escape(declaration.Description));
                }
                catch (Exception e) when (e is DataInputException or DataException)
                {
                    table.AddRow(Markup.Escape(name), "?", "?", "?", Markup.Escape(store.DeclarationPath(name)), Markup.Escape($"unreadable: {e.Message}"));
                }
            }
            terminal.Out.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    static Command CreateIsing(Terminal terminal)
    {
        var name = new Option<string>("--name") { Description = "The dataset's name.", DefaultValueFactory = _ => "ising" };
        var lattice = new Option<int>("--lattice") { Description = "Sites per side L (L x L, periodic).", DefaultValueFactory = _ => 28 };
        var tMin = new Option<double>("--t-min") { Description = "Lowest temperature (J = k_B = 1; T_c = 2.269).", DefaultValueFactory = _ => 1.5 };
        var tMax = new Option<double>("--t-max") { Description = "Highest temperature.", DefaultValueFactory = _ => 3.5 };
        var temperatures = new Option<int>("--temperatures") { Description = "Temperatures, evenly spaced from --t-min to --t-max.", DefaultValueFactory = _ => 21 };
        var per = new Option<int>("--per-temperature") { Description = "Configurations per temperature.", DefaultValueFactory = _ => 100 };
        var equilibrate = new Option<double>("--equilibrate") { Description = "Wolff sweeps (flipped sites / L^2) before the first sample of each temperature.", DefaultValueFactory = _ => 100 };
        var between = new Option<double>("--sweeps-between") { Description = "Wolff sweeps between two samples.", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "Seed of the chains.", DefaultValueFactory = _ => 0 };
        var fraction = new Option<double>("--test-fraction") { Description = "Fraction of the configurations that test.", DefaultValueFactory = _ => 0.2 };
        var output = new Option<string?>("--out") { Description = "Folder for ising.npy and ising-labels.npy. Default: <data dir>/NAME-files.", HelpName = "DIR" };
        var dataDir = DataDirOption();
        var command = new Command("ising", """
            Generate 2-D Ising configurations across the critical temperature with Wolff's cluster algorithm (spins 0/1,
            temperature and magnetisation per spin as labels), write them as .npy, print the mean |magnetisation| per
            temperature beside Onsager's exact curve, and declare the dataset (loss bce, no normalisation).
            Exit codes: 0 done, 2 invalid options.
            """);
        foreach (var option in new Option[] { name, lattice, tMin, tMax, temperatures, per, equilibrate, between, seed, fraction, output, dataDir })
            command.Options.Add(option);
        command.SetAction((parse, cancel) =>
        {
            var datasetName = parse.GetValue(name)!;
            var directory = Path.GetFullPath(parse.GetValue(dataDir)!);
            if (DatasetDeclaration.NameProblem(datasetName) is { } problem) throw GfeException.InvalidInput(problem);
            var folder = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(directory, datasetName + "-files"));
            var settings = new Gfe.Engine.Data.Synthetic.IsingSettings(parse.GetValue(lattice), parse.GetValue(tMin), parse.GetValue(tMax),
                parse.GetValue(temperatures), parse.GetValue(per), parse.GetValue(equilibrate), parse.GetValue(between), (ulong)parse.GetValue(seed));
            return Task.FromResult(GfeException.FromData(() =>
            {
                var checks = Gfe.Engine.Data.Synthetic.IsingDataset.Write(folder, settings, cancel: cancel);
                terminal.Output.WriteLine($"{settings.Temperatures * settings.PerTemperature} configurations of {settings.Lattice}x{settings.Lattice} in {folder}");
                terminal.Output.WriteLine("   T     mean|m|  Onsager (infinite lattice)");
                foreach (var check in checks)
                    terminal.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {check.Temperature,5:F3}  {check.MeanAbsMagnetisation,7:F4}  {check.Onsager,7:F4}"));
                var declaration = DeclaredDataset.Record(new DatasetDeclaration(datasetName,
                    $"2-D Ising model {settings.Lattice}x{settings.Lattice}, T {settings.MinTemperature}-{settings.MaxTemperature}, Wolff; labels: temperature, magnetisation",
                    Path.Combine(folder, Gfe.Engine.Data.Synthetic.IsingDataset.SpinsFile), null, parse.GetValue(fraction), parse.GetValue(seed),
                    Path.Combine(folder, Gfe.Engine.Data.Synthetic.IsingDataset.LabelsFile), null, NormalizeMode.None, "bce", [],
                    Path.Combine(directory, DatasetDeclaration.FolderName)) { LabelNames = ["temperature", "magnetisation"] });
                DeclaredDataset.Load(declaration);
                var path = DatasetDeclaration.PathIn(directory, datasetName);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, declaration.ToYaml());
                terminal.Output.WriteLine($"declared {datasetName} in {path}");
                return ExitCodes.Success;
            }));
        });
        return command;
    }

    static string Count(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
