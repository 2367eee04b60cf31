using System.Text.RegularExpressions;
using Gfe.Abstractions;
using Gfe.Engine.Data;
using Gfe.Engine.Data.Files;
using Gfe.Engine.Runs;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gfe.Client.Sweeps;

/// <summary>
/// Reads a sweep file (format: docs/sweep-files.md), checks every key and value against the run-settings table and
/// the dataset catalog before anything runs, and expands the grid and the explicit runs into an ordered list of
/// runs. All problems of a file are collected and reported together as one <see cref="SweepFileException"/>.
/// </summary>
public sealed partial class SweepFileParser
{
    /// <summary>A bigger grid is almost certainly a typo (an extra axis), and would flood the cluster.</summary>
    public const int MaxRuns = 100_000;

    /// <summary>A sweep file describes runs by their settings, so even 100 000 runs fit in a few kilobytes; a bigger
    /// file would be copied into every manifest and echoed by 'validate'.</summary>
    public const long MaxFileBytes = 1024 * 1024;

    static readonly string[] TopLevelKeys = ["name", "description", "datasets", "grid", "settings", "runs", .. SearchKeys];

    readonly string file;
    readonly string dataDirectory;
    readonly List<string> errors = [];
    readonly List<DatasetDeclaration> declared = [];

    SweepFileParser(string file, string? dataDirectory)
    {
        this.file = file;
        this.dataDirectory = dataDirectory ?? DataPaths.DefaultDirectory;
    }

    /// <summary>Reads and validates the sweep file at <paramref name="path"/>; dataset names may also be those declared
    /// in <paramref name="dataDirectory"/> (default: <see cref="DataPaths.DefaultDirectory"/>).</summary>
    public static SweepFile Load(string path, string? dataDirectory = null)
    {
        if (Directory.Exists(path))
            throw new SweepFileException($"{path}: is a directory, not a sweep file");
        if (!File.Exists(path))
            throw new SweepFileException($"{path}: sweep file not found");
        var bytes = new FileInfo(path).Length;
        if (bytes > MaxFileBytes)
            throw new SweepFileException($"{path}: the sweep file is {bytes / 1024.0 / 1024.0:0.0} MB; a sweep file may be at most {MaxFileBytes / 1024 / 1024} MB (a grid of a few lines describes up to {MaxRuns} runs)");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SweepFileException($"{path}: cannot read the sweep file: {e.Message}");
        }
        return Parse(text, path, dataDirectory);
    }

    /// <summary>Validates sweep-file text; <paramref name="path"/> is used in messages and as the default name.</summary>
    public static SweepFile Parse(string text, string path, string? dataDirectory = null) =>
        new SweepFileParser(path, dataDirectory).Read(text);

    SweepFile Read(string text)
    {
        var root = LoadRoot(text);

        string? name = null;
        YamlNode nameNode = root;
        string description = "";
        YamlMappingNode? grid = null;
        YamlMappingNode? fixedSettings = null;
        YamlSequenceNode? explicitRuns = null;

        foreach (var (keyNode, valueNode) in root.Children)
        {
            var key = ScalarText(keyNode);
            switch (key)
            {
                case "name":
                    name = ExpectScalar(valueNode, "name");
                    nameNode = valueNode;
                    break;
                case "description":
                    description = ExpectScalar(valueNode, "description") ?? "";
                    break;
                case "grid":
                    grid = ExpectMapping(valueNode, "grid", "a map of axes, e.g. 'seed: [0, 1, 2]'");
                    break;
                case "settings":
                    fixedSettings = ExpectMapping(valueNode, "settings", "a map of settings, e.g. 'testSize: 1000'");
                    break;
                case "runs":
                    explicitRuns = ExpectSequence(valueNode, "runs", "a list of maps of settings");
                    break;
                case "datasets":
                    if (ExpectMapping(valueNode, "datasets", "a map of dataset names to declarations (docs/data.md)") is { } datasets)
                        ReadDatasets(datasets);
                    break;
                default:
                    if (!TakeSearchSection(key, valueNode))
                        Error(keyNode, key ?? "?", $"unknown top-level key; a sweep file has {string.Join(", ", TopLevelKeys)}");
                    break;
            }
        }

        name ??= System.IO.Path.GetFileNameWithoutExtension(file);
        if (!SafeName().IsMatch(name))
            Error(nameNode, "name", $"'{name}' cannot be a results folder name: use letters, digits, '.', '_' and '-'");

        var settings = fixedSettings is null ? [] : ReadSettings(fixedSettings, "settings");
        var axes = grid is null ? [] : ReadAxes(grid, settings);
        var runEntries = explicitRuns is null ? [] : ReadExplicitRuns(explicitRuns);

        if (grid is not null && grid.Children.Count == 0)
            Error(grid, "grid", "the grid is empty: give at least one axis, e.g. 'seed: [0]'");
        else if (grid is null && runEntries.Count == 0 && errors.Count == 0)
            Error(root, "grid", "the sweep has no runs: give a grid with at least one axis or a 'runs' list");
        var search = ReadSearch(root, settings, axes);
        ThrowIfErrors();

        long gridRuns = CountSearchRuns(search, axes);
        if (gridRuns + runEntries.Count > MaxRuns)
            Error(grid ?? root, "grid", $"the sweep expands to {gridRuns + runEntries.Count} runs, more than {MaxRuns}");
        ThrowIfErrors();

        var candidates = new List<(RunConfig Config, string Source)>();
        foreach (var (combination, source) in ExpandSearch(search, axes))
            candidates.Add((Build([.. settings, .. combination]), source));
        foreach (var (entry, source) in runEntries)
            candidates.Add((Build([.. settings, .. entry]), source));
        CheckBudget(search, gridRuns + runEntries.Count, candidates.Select(c => c.Config));
        ThrowIfErrors();

        var runs = new List<SweepRun>();
        var duplicateNotes = new List<string>();
        var firstSource = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (config, source) in candidates)
        {
            var key = RunKey.For(config);
            if (firstSource.TryGetValue(key, out var earlier))
            {
                duplicateNotes.Add($"{source} duplicates run {key} (from {earlier}); it runs once");
                continue;
            }
            firstSource[key] = source;
            var spec = new RunSpec(key, RunParameters.ToList(config).ToDictionary(kv => kv.Key, kv => kv.Value));
            runs.Add(new SweepRun(config, spec, source));
        }

        return new SweepFile(name, description, file, text, runs, duplicateNotes) { Search = search, Datasets = declared };
    }

    YamlMappingNode LoadRoot(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new SweepFileException($"{file}:{e.Start.Line}:{e.Start.Column}: malformed YAML: {YamlReason(e)}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner gives up this way, without a position, on some broken input (e.g. an unclosed '['
            // before a 'key:'); the end of the last event it could read is where the trouble starts.
            throw new SweepFileException($"{file}:{LastReadableLine(text)}: malformed YAML after this line: look for an unclosed bracket or quote");
        }
        if (stream.Documents.Count == 0)
            throw new SweepFileException($"{file}: the sweep file is empty");
        if (stream.Documents.Count > 1)
            throw new SweepFileException($"{file}:{stream.Documents[1].RootNode.Start.Line}: one sweep per file, but a second YAML document starts here");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new SweepFileException($"{file}:{stream.Documents[0].RootNode.Start.Line}: a sweep file is a map with keys {string.Join(", ", TopLevelKeys)}");
        return root;
    }

    static long LastReadableLine(string text)
    {
        var parser = new Parser(new StringReader(text));
        long line = 1;
        try
        {
            while (parser.MoveNext()) line = parser.Current!.End.Line;
        }
        catch (Exception e) when (e is InvalidOperationException or YamlException)
        {
        }
        return line;
    }

    /// <summary>YamlDotNet prefixes its messages with the position, which the file:line prefix already gives.</summary>
    static string YamlReason(YamlException e)
    {
        var message = e.Message;
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && cut >= 0 ? message[(cut + 3)..] : message;
    }

    List<SweepSetting> ReadSettings(YamlMappingNode mapping, string where)
    {
        var settings = new List<SweepSetting>();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var parameter = FindParameter(keyNode, where);
            if (parameter is null) continue;
            var value = parameter.IsList
                ? ExpectList(valueNode, $"{where}.{parameter.Name}")
                : ExpectScalar(valueNode, $"{where}.{parameter.Name}", "one value (lists belong under 'grid')");
            if (value is null) continue;
            if (settings.Any(s => s.Parameter == parameter))
            {
                Error(keyNode, $"{where}.{parameter.Name}", "given twice");
                continue;
            }
            var setting = new SweepSetting(parameter, value, valueNode);
            if (Check(setting, $"{where}.{parameter.Name}")) settings.Add(setting);
        }
        return settings;
    }

    List<List<SweepSetting>> ReadAxes(YamlMappingNode grid, List<SweepSetting> fixedSettings)
    {
        var axes = new List<List<SweepSetting>>();
        foreach (var (keyNode, valueNode) in grid.Children)
        {
            var parameter = FindParameter(keyNode, "grid");
            if (parameter is null) continue;
            var where = $"grid.{parameter.Name}";
            if (fixedSettings.Any(s => s.Parameter == parameter))
                Error(keyNode, where, "is both a grid axis and a fixed setting; keep one");
            if (axes.Any(axis => axis[0].Parameter == parameter) || distributionAxes.Any(axis => axis.Parameter == parameter))
            {
                Error(keyNode, where, "given twice");
                continue;
            }
            if (valueNode is YamlMappingNode distribution)
            {
                ReadDistributionAxis(parameter, distribution, where);
                continue;
            }
            if (valueNode is not YamlSequenceNode sequence)
            {
                Error(valueNode, where, "a grid axis must be a list, e.g. [480] or [0, 1, 2]");
                continue;
            }
            if (sequence.Children.Count == 0)
            {
                Error(valueNode, where, "a grid axis must not be empty");
                continue;
            }
            var axis = new List<SweepSetting>();
            foreach (var item in sequence.Children)
            {
                var value = AxisValue(parameter, item, where);
                if (value is null) continue;
                var setting = new SweepSetting(parameter, value, item);
                if (Check(setting, where)) axis.Add(setting);
            }
            if (axis.Count == sequence.Children.Count) axes.Add(axis);
        }
        return axes;
    }

    List<(List<SweepSetting> Entry, string Source)> ReadExplicitRuns(YamlSequenceNode sequence)
    {
        var entries = new List<(List<SweepSetting>, string)>();
        for (int i = 0; i < sequence.Children.Count; i++)
        {
            var node = sequence.Children[i];
            var where = $"runs[{i}]";
            if (ExpectMapping(node, where, "a map of settings, e.g. '{ method: ae, seed: 3 }'") is not { } mapping)
                continue;
            if (mapping.Children.Count == 0)
            {
                Error(node, where, "an explicit run must set at least one setting");
                continue;
            }
            entries.Add((ReadSettings(mapping, where), $"{where} (line {node.Start.Line})"));
        }
        return entries;
    }

    RunParameter? FindParameter(YamlNode keyNode, string where)
    {
        var name = ScalarText(keyNode);
        var parameter = name is null ? null : RunParameters.Find(name);
        if (parameter is null)
            Error(keyNode, $"{where}.{name ?? "?"}",
                $"unknown setting; see 'gfe sweep list-settings' (known: {string.Join(", ", RunParameters.All.Select(p => p.Name))})");
        return parameter;
    }

    /// <summary>Applies the value alone to a default config, so a bad value is reported once at its own line rather
    /// than once per grid combination.</summary>
    bool Check(SweepSetting setting, string where)
    {
        try
        {
            var config = RunParameters.Apply(new RunConfig(), setting.Parameter.Name, setting.Value);
            if (setting.Parameter.Name == "dataset" && !IsKnownDataset(config.Dataset))
            {
                Error(setting.Node, where, UnknownDataset(config.Dataset));
                return false;
            }
            return true;
        }
        catch (RunConfigException e)
        {
            Error(setting.Node, where, e.Message);
            return false;
        }
    }

    /// <summary>One run: defaults, then the settings in order (later ones win), then the checks that need the whole
    /// configuration (dataset known, sizes within the dataset).</summary>
    RunConfig Build(IReadOnlyList<SweepSetting> settings)
    {
        var config = new RunConfig();
        var origin = new Dictionary<string, SweepSetting>(StringComparer.Ordinal);
        foreach (var setting in settings)
        {
            try
            {
                config = RunParameters.Apply(config, setting.Parameter.Name, setting.Value);
                origin[setting.Parameter.Name] = setting;
            }
            catch (RunConfigException e)
            {
                Error(setting.Node, setting.Parameter.Name, e.Message);
            }
        }

        var dataset = DatasetCatalog.Find(config.Dataset);
        if (dataset is null)
        {
            // A dataset from files: its sizes are checked once it is loaded (DatasetSizeCheck), before any run starts.
            if (!IsKnownDataset(config.Dataset))
                ErrorAt(origin.GetValueOrDefault("dataset"), "dataset", UnknownDataset(config.Dataset));
            // Its declaration names the loss that suits its values; a run that does not choose one trains with it.
            else if (!origin.ContainsKey("loss") && DeclaredLoss(config.Dataset) is { } loss)
                config = RunParameters.Apply(config, "loss", loss);
            return config;
        }
        if (config.TrainSize > dataset.TrainCount)
            ErrorAt(origin.GetValueOrDefault("trainSize") ?? origin.GetValueOrDefault("dataset"), "trainSize",
                $"trainSize {config.TrainSize} is larger than the {dataset.TrainCount} training images of {dataset.Name}");
        // A batch larger than the training images would train one short batch and call it B; say so instead.
        int trainImages = config.TrainSize == 0 ? dataset.TrainCount : config.TrainSize;
        if (config.Method != RunMethod.Simulate && config.BatchSize > trainImages)
            ErrorAt(origin.GetValueOrDefault("batchSize") ?? origin.GetValueOrDefault("trainSize"), "batchSize",
                $"batchSize {config.BatchSize} is larger than trainSize {trainImages}: every batch would be the whole {trainImages} images");
        if (config.TestSize > dataset.TestCount)
            ErrorAt(origin.GetValueOrDefault("testSize") ?? origin.GetValueOrDefault("dataset"), "testSize",
                $"testSize {config.TestSize} is larger than the {dataset.TestCount} test images of {dataset.Name}");
        // The engine's own checks of the whole run (RunChecks); the built-in datasets have 784 features (28x28 images).
        if (RunChecks.Problem(config, ImageSet.ImageSize) is { } problem)
            ErrorAt(origin.GetValueOrDefault(problem.Key), problem.Key, problem.Message);
        return config;
    }

    /// <summary>Every combination of one value per axis; the first axis varies slowest, as nested loops in file order.</summary>
    static IEnumerable<List<SweepSetting>> Product(List<List<SweepSetting>> axes)
    {
        if (axes.Count == 0) yield break;
        var index = new int[axes.Count];
        while (true)
        {
            yield return axes.Select((axis, a) => axis[index[a]]).ToList();
            int position = axes.Count - 1;
            while (position >= 0 && ++index[position] == axes[position].Count)
            {
                index[position] = 0;
                position--;
            }
            if (position < 0) yield break;
        }
    }

    string? ExpectScalar(YamlNode node, string where, string expected = "a single value")
    {
        if (node is YamlScalarNode scalar) return scalar.Value ?? "";
        Error(node, where, $"expected {expected}, found a {(node is YamlSequenceNode ? "list" : "map")}");
        return null;
    }

    /// <summary>The value of a list-valued setting, e.g. [64, 32], as the canonical text its parameter reads. Under
    /// 'grid' each value of the axis must itself be a list: hidden: [[64, 32], [128]].</summary>
    string? ExpectList(YamlNode node, string where, bool axis = false)
    {
        if (node is not YamlSequenceNode list)
        {
            Error(node, where, axis
                ? "each value of this axis is itself a list, e.g. [[64, 32], [128]]"
                : $"expected a list, e.g. [64, 32], found a {(node is YamlScalarNode ? "single value" : "map")}");
            return null;
        }
        var items = new List<string>();
        foreach (var item in list.Children)
        {
            if (ExpectScalar(item, where, "a list of single values, e.g. [64, 32]") is not { } text) return null;
            items.Add(text);
        }
        return "[" + string.Join(", ", items) + "]";
    }

    YamlMappingNode? ExpectMapping(YamlNode node, string where, string expected)
    {
        if (node is YamlMappingNode mapping) return mapping;
        Error(node, where, $"expected {expected}");
        return null;
    }

    YamlSequenceNode? ExpectSequence(YamlNode node, string where, string expected)
    {
        if (node is YamlSequenceNode sequence) return sequence;
        Error(node, where, $"expected {expected}");
        return null;
    }

    string UnknownDataset(string name) =>
        $"unknown dataset '{name}'; known datasets: {string.Join(", ", [.. DatasetCatalog.All.Select(d => d.Name), .. declared.Select(d => d.Name), .. DeclaredInDataDirectory()])}";

    /// <summary>The loss a declared dataset names (this file's <c>datasets:</c> first, then the data directory), or null.</summary>
    string? DeclaredLoss(string name)
    {
        if (declared.FirstOrDefault(d => d.Name == name) is { } inFile) return inFile.Loss;
        var path = DatasetDeclaration.PathIn(dataDirectory, name);
        try
        {
            return File.Exists(path) ? DatasetDeclaration.Load(path).Loss : null;
        }
        catch (Exception e) when (e is Gfe.Engine.Data.Files.DataInputException or IOException)
        {
            return null;   // an unreadable declaration is reported when the dataset is loaded
        }
    }

    /// <summary>A built-in dataset, one of this file's <c>datasets:</c>, or one declared in the data directory.</summary>
    bool IsKnownDataset(string name) =>
        DatasetCatalog.Find(name) is not null || declared.Any(d => d.Name == name) ||
        File.Exists(DatasetDeclaration.PathIn(dataDirectory, name));

    IEnumerable<string> DeclaredInDataDirectory()
    {
        var folder = System.IO.Path.Combine(dataDirectory, DatasetDeclaration.FolderName);
        return Directory.Exists(folder) ? Directory.GetFiles(folder, "*.yaml").Select(System.IO.Path.GetFileNameWithoutExtension).OfType<string>().Order() : [];
    }

    /// <summary>The <c>datasets:</c> section: each entry a declaration as in datasets/NAME.yaml, paths relative to the
    /// sweep file. Their files are checked when the sweep runs (<see cref="SweepDatasets"/>).</summary>
    void ReadDatasets(YamlMappingNode datasets)
    {
        var baseDirectory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file))!;
        foreach (var (keyNode, valueNode) in datasets.Children)
        {
            var name = ScalarText(keyNode) ?? "?";
            if (ExpectMapping(valueNode, $"datasets.{name}", "a dataset declaration (train, test or testFraction, ...)") is not { } map) continue;
            try
            {
                var declaration = DatasetDeclaration.FromYaml(map, file, name, baseDirectory);
                if (declaration.Name != name)
                    Error(keyNode, $"datasets.{name}", $"the entry's name '{declaration.Name}' differs from its key");
                else declared.Add(declaration);
            }
            catch (DataInputException e)
            {
                AddError(e.Message.StartsWith(file, StringComparison.Ordinal) ? $"{e.Message} (datasets.{name})" : $"{file}:{keyNode.Start.Line}: datasets.{name}: {e.Message}");
            }
        }
    }

    static string? ScalarText(YamlNode node) => node is YamlScalarNode scalar ? scalar.Value : null;

    void ErrorAt(SweepSetting? setting, string key, string message)
    {
        if (setting is null)
            AddError($"{file}: {key}: {message} (the default value)");
        else
            Error(setting.Node, key, message);
    }

    void Error(YamlNode node, string key, string message) =>
        AddError($"{file}:{node.Start.Line}:{node.Start.Column}: {key}: {message}");

    void AddError(string error)
    {
        // A bad grid value shows up in every combination it is part of; say it once.
        if (!errors.Contains(error)) errors.Add(error);
    }

    void ThrowIfErrors()
    {
        if (errors.Count == 0) return;
        const int Shown = 20;
        var lines = errors.Take(Shown).ToList();
        if (errors.Count > Shown) lines.Add($"... and {errors.Count - Shown} more problems");
        throw new SweepFileException(string.Join(Environment.NewLine, lines));
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex SafeName();
}
