using System.Globalization;
using Gfe.Engine.Runs;
using Gfe.Engine.Search;
using YamlDotNet.RepresentationModel;

namespace Gfe.Client.Sweeps;

/// <summary>
/// The search sections of a sweep file (docs/sweep-files.md, "Search"): <c>search</c>, <c>replicates</c>,
/// <c>budget</c>, <c>earlyStop</c>, and grid axes written as distributions; and the expansion of the grid into
/// sampled trials and replicates. Kept apart from the rest of the parser so that the grid's own rules stay readable.
/// </summary>
public sealed partial class SweepFileParser
{
    static readonly string[] SearchKeys = ["search", "replicates", "earlyStop", "budget"];

    /// <summary>Settings that pick what is compared, not what is tuned: each value must be its own runs.</summary>
    static readonly string[] NotSampled = ["method", "dataset"];

    /// <summary>Evaluation names an early-stopping metric may take.</summary>
    static readonly string[] EvaluationNames =
        [Evaluations.GfeAmd, Evaluations.Ae, Evaluations.Mixed, Evaluations.GfeRk4, Evaluations.GfeNesterov, Evaluations.Simulate];

    readonly Dictionary<string, YamlNode> searchSections = new(StringComparer.Ordinal);
    readonly List<(RunParameter Parameter, YamlNode Node, Distribution Distribution)> distributionAxes = [];

    /// <summary>Keeps a search section for <see cref="ReadSearch"/>; false when the key is not one.</summary>
    bool TakeSearchSection(string? key, YamlNode value)
    {
        if (key is null || !SearchKeys.Contains(key)) return false;
        searchSections[key] = value;
        return true;
    }

    /// <summary>A grid or choice value as the settings table reads it: a scalar as written; a list of scalars (the
    /// value of a list setting such as hidden widths) as the canonical list text, e.g. "[150, 300]".</summary>
    string? AxisValue(RunParameter parameter, YamlNode item, string where) =>
        parameter.IsList ? ExpectList(item, where, axis: true) : ExpectScalar(item, where, "a single value");

    /// <summary>A grid axis written as a map: one of <c>{uniform: [a, b]}</c>, <c>{loguniform: [a, b]}</c>,
    /// <c>{int: [a, b]}</c>, <c>{choice: [...]}</c>, checked against the kind of the setting.</summary>
    void ReadDistributionAxis(RunParameter parameter, YamlMappingNode node, string where)
    {
        if (NotSampled.Contains(parameter.Name))
        {
            Error(node, where, $"'{parameter.Name}' cannot be a distribution: list its values, e.g. [a, b]; each runs as its own configurations");
            return;
        }
        if (parameter.Name == "seed")
        {
            Error(node, where, "seeds are not sampled: list them under 'replicates', e.g. replicates: [0, 1, 2]");
            return;
        }
        if (node.Children.Count != 1 || node.Children.First() is not { Key: YamlScalarNode { Value: { } kind }, Value: var body })
        {
            Error(node, where, "a distribution is one of {uniform: [a, b]}, {loguniform: [a, b]}, {int: [a, b]}, {choice: [...]}");
            return;
        }
        where = $"{where}.{kind}";
        if (body is not YamlSequenceNode values)
        {
            Error(body, where, kind == "choice" ? "expected a list of values" : "expected a range [low, high]");
            return;
        }
        Distribution? distribution = kind switch
        {
            "uniform" or "loguniform" => ReadRealRange(parameter, kind, values, where),
            "int" => ReadIntRange(parameter, values, where),
            "choice" => ReadChoice(parameter, values, where),
            _ => Unknown(),
        };
        if (distribution is not null) distributionAxes.Add((parameter, node, distribution));

        Distribution? Unknown()
        {
            Error(node, where, "unknown distribution; use uniform, loguniform, int or choice");
            return null;
        }
    }

    Distribution? ReadRealRange(RunParameter parameter, string kind, YamlSequenceNode values, string where)
    {
        if (parameter.Kind != SettingKind.Real)
        {
            Error(values, where, parameter.Kind == SettingKind.Integer
                ? $"'{parameter.Name}' is a whole number: use {{int: [a, b]}}"
                : $"'{parameter.Name}' is not a number: use {{choice: [...]}}");
            return null;
        }
        if (ReadBounds(values, where, out var low, out var high) is false) return null;
        if (low >= high)
        {
            Error(values, where, low > high ? $"the range [{low.ToString(CultureInfo.InvariantCulture)}, {high.ToString(CultureInfo.InvariantCulture)}] is reversed: write [low, high]"
                : "the range is empty: low must be less than high");
            return null;
        }
        if (kind == "loguniform" && low <= 0)
        {
            Error(values, where, "loguniform bounds must be greater than 0");
            return null;
        }
        if (!CheckBounds(parameter, values, where)) return null;
        return kind == "uniform" ? new UniformDistribution(low, high) : new LogUniformDistribution(low, high);
    }

    Distribution? ReadIntRange(RunParameter parameter, YamlSequenceNode values, string where)
    {
        if (parameter.Kind != SettingKind.Integer)
        {
            Error(values, where, parameter.Kind == SettingKind.Real
                ? $"'{parameter.Name}' is a real number: use {{uniform: [a, b]}} or {{loguniform: [a, b]}}"
                : $"'{parameter.Name}' is not a number: use {{choice: [...]}}");
            return null;
        }
        if (ReadBounds(values, where, out var low, out var high) is false) return null;
        if (low != Math.Floor(low) || high != Math.Floor(high) || Math.Abs(low) > int.MaxValue || Math.Abs(high) > int.MaxValue)
        {
            Error(values, where, "int bounds must be whole numbers");
            return null;
        }
        if (low > high)
        {
            Error(values, where, $"the range [{low}, {high}] is reversed: write [low, high]");
            return null;
        }
        if (!CheckBounds(parameter, values, where)) return null;
        return new IntDistribution((long)low, (long)high);
    }

    Distribution? ReadChoice(RunParameter parameter, YamlSequenceNode values, string where)
    {
        if (values.Children.Count == 0)
        {
            Error(values, where, "a choice must not be empty");
            return null;
        }
        var choices = new List<string>();
        foreach (var item in values.Children)
        {
            if (AxisValue(parameter, item, where) is not { } value) return null;
            if (!Check(new SweepSetting(parameter, value, item), where)) return null;
            choices.Add(value);
        }
        return new ChoiceDistribution(choices);
    }

    bool ReadBounds(YamlSequenceNode values, string where, out double low, out double high)
    {
        low = high = 0;
        if (values.Children.Count != 2 || values.Children.Any(c => c is not YamlScalarNode))
        {
            Error(values, where, "expected a range of two numbers [low, high]");
            return false;
        }
        bool ok = true;
        var bounds = new double[2];
        for (int i = 0; i < 2; i++)
        {
            var text = ((YamlScalarNode)values.Children[i]).Value ?? "";
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out bounds[i]) || !double.IsFinite(bounds[i]))
            {
                Error(values.Children[i], where, $"'{text}' is not a number");
                ok = false;
            }
        }
        (low, high) = (bounds[0], bounds[1]);
        return ok;
    }

    /// <summary>Both ends through the settings table, so a range the setting cannot take (lr from -1) is caught at
    /// its line rather than in some sampled run.</summary>
    bool CheckBounds(RunParameter parameter, YamlSequenceNode values, string where) =>
        values.Children.All(bound => Check(new SweepSetting(parameter, ((YamlScalarNode)bound).Value ?? "", bound), where));

    /// <summary>Reads and checks the search sections against the grid and the fixed settings.</summary>
    SweepSearch ReadSearch(YamlMappingNode root, IReadOnlyList<SweepSetting> settings, IReadOnlyList<List<SweepSetting>> axes)
    {
        var method = SearchMethod.Grid;
        int trials = 0, seed = 0;
        YamlNode methodNode = root;
        if (searchSections.TryGetValue("search", out var searchNode) && ExpectMapping(searchNode, "search", "a map, e.g. '{method: random, trials: 64, seed: 0}'") is { } search)
        {
            YamlNode? trialsNode = null;
            foreach (var (keyNode, valueNode) in search.Children)
            {
                var key = ScalarText(keyNode);
                var text = ExpectScalar(valueNode, $"search.{key}");
                if (text is null) continue;
                switch (key)
                {
                    case "method":
                        methodNode = valueNode;
                        if (!Enum.TryParse(text, ignoreCase: true, out method) || !Enum.IsDefined(method))
                        {
                            Error(valueNode, "search.method", $"must be grid, random or sobol, not '{text}'");
                            method = SearchMethod.Grid;
                        }
                        break;
                    case "trials":
                        trialsNode = valueNode;
                        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out trials) || trials < 1)
                            Error(valueNode, "search.trials", $"must be a whole number of at least 1, not '{text}'");
                        break;
                    case "seed":
                        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed) || seed < 0)
                            Error(valueNode, "search.seed", $"must be a whole number of at least 0, not '{text}'");
                        break;
                    default:
                        Error(keyNode, $"search.{key}", "unknown key; search has method, trials, seed");
                        break;
                }
            }
            if (method != SearchMethod.Grid && trialsNode is null)
                Error(methodNode, "search.trials", $"a {method.ToString().ToLowerInvariant()} search needs 'trials: N'");
            if (method == SearchMethod.Grid && trialsNode is not null)
                Error(trialsNode, "search.trials", "a grid search has no trials: use 'method: random' or 'method: sobol'");
        }

        if (method == SearchMethod.Grid)
            foreach (var (parameter, node, _) in distributionAxes)
                Error(node, $"grid.{parameter.Name}", "a distribution needs a sampled search: add 'search: {method: random, trials: N}'");
        else if (distributionAxes.Count == 0)
            Error(methodNode, "search.method", "a sampled search needs at least one grid axis written as a distribution, e.g. 'lr: {loguniform: [1e-4, 1e-2]}'");
        if (method == SearchMethod.Sobol && distributionAxes.Count > SobolSequence.MaxDimensions)
            Error(methodNode, "search.method", $"a sobol search samples at most {SobolSequence.MaxDimensions} settings, not {distributionAxes.Count}");

        var replicates = ReadReplicates(settings, axes);
        var budget = ReadBudget();
        var earlyStop = ReadEarlyStop(settings, axes);
        return new SweepSearch(method, trials, seed, replicates, budget, earlyStop);
    }

    List<int> ReadReplicates(IReadOnlyList<SweepSetting> settings, IReadOnlyList<List<SweepSetting>> axes)
    {
        if (!searchSections.TryGetValue("replicates", out var node)) return [];
        if (ExpectSequence(node, "replicates", "a list of seeds, e.g. [0, 1, 2]") is not { } list) return [];
        if (list.Children.Count == 0)
        {
            Error(node, "replicates", "must not be empty: give the seeds, e.g. [0, 1, 2]");
            return [];
        }
        if (settings.Any(s => s.Parameter.Name == "seed") || axes.Any(a => a[0].Parameter.Name == "seed"))
            Error(node, "replicates", "the replicates are the seeds: remove 'seed' from grid and settings");
        var seeds = new List<int>();
        foreach (var item in list.Children)
        {
            var text = ExpectScalar(item, "replicates");
            if (text is null) continue;
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) || seed < 0)
                Error(item, "replicates", $"a seed is a whole number of at least 0, not '{text}'");
            else if (seeds.Contains(seed))
                Error(item, "replicates", $"seed {seed} is given twice");
            else
                seeds.Add(seed);
        }
        return seeds;
    }

    SweepBudget ReadBudget()
    {
        if (!searchSections.TryGetValue("budget", out var node)) return SweepBudget.None;
        if (ExpectMapping(node, "budget", "a map, e.g. '{maxRuns: 100, maxHours: 2, maxTrainImages: 1000000}'") is not { } budget)
            return SweepBudget.None;
        int? maxRuns = null;
        double? maxHours = null;
        long? maxTrainImages = null;
        foreach (var (keyNode, valueNode) in budget.Children)
        {
            var key = ScalarText(keyNode);
            var text = ExpectScalar(valueNode, $"budget.{key}");
            if (text is null) continue;
            switch (key)
            {
                case "maxRuns" when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var runs) && runs >= 1:
                    maxRuns = runs;
                    break;
                case "maxHours" when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var hours) && double.IsFinite(hours) && hours > 0:
                    maxHours = hours;
                    break;
                case "maxTrainImages" when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var images) && images >= 1:
                    maxTrainImages = images;
                    break;
                case "maxRuns" or "maxTrainImages":
                    Error(valueNode, $"budget.{key}", $"must be a whole number of at least 1, not '{text}'");
                    break;
                case "maxHours":
                    Error(valueNode, "budget.maxHours", $"must be a positive number, not '{text}'");
                    break;
                default:
                    Error(keyNode, $"budget.{key}", "unknown key; budget has maxRuns, maxHours, maxTrainImages");
                    break;
            }
        }
        return new SweepBudget(maxRuns, maxHours, maxTrainImages);
    }

    EarlyStop? ReadEarlyStop(IReadOnlyList<SweepSetting> settings, IReadOnlyList<List<SweepSetting>> axes)
    {
        if (!searchSections.TryGetValue("earlyStop", out var node)) return null;
        if (ExpectMapping(node, "earlyStop", "a map, e.g. '{rule: asha, metric: GFE-amd, rungs: 480, reduction: 3}'") is not { } map)
            return null;
        EarlyStopRule? rule = null;
        string? metric = null;
        long rungs = 0;
        int reduction = 3;
        YamlNode rungsNode = node;
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = ScalarText(keyNode);
            var text = ExpectScalar(valueNode, $"earlyStop.{key}");
            if (text is null) continue;
            switch (key)
            {
                case "rule":
                    if (Enum.TryParse<EarlyStopRule>(text, ignoreCase: true, out var r) && Enum.IsDefined(r)) rule = r;
                    else Error(valueNode, "earlyStop.rule", $"must be asha or median, not '{text}'");
                    break;
                case "metric":
                    metric = EvaluationNames.FirstOrDefault(e => string.Equals(e, text, StringComparison.OrdinalIgnoreCase));
                    if (metric is null)
                        Error(valueNode, "earlyStop.metric", $"must be an evaluation: {string.Join(", ", EvaluationNames)}; not '{text}'");
                    break;
                case "rungs":
                    rungsNode = valueNode;
                    if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out rungs) || rungs < 1)
                        Error(valueNode, "earlyStop.rungs", $"training images between decisions: a whole number of at least 1, not '{text}'");
                    break;
                case "reduction":
                    if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out reduction) || reduction < 2)
                        Error(valueNode, "earlyStop.reduction", $"must be a whole number of at least 2, not '{text}'");
                    break;
                default:
                    Error(keyNode, $"earlyStop.{key}", "unknown key; earlyStop has rule, metric, rungs, reduction");
                    break;
            }
        }
        if (rule is null) Error(node, "earlyStop.rule", "missing: give 'rule: asha' or 'rule: median'");
        if (metric is null && !map.Children.Any(c => ScalarText(c.Key) == "metric"))
            Error(node, "earlyStop.metric", "missing: give the evaluation to compare, e.g. 'metric: GFE-amd'");
        if (rungs == 0 && !map.Children.Any(c => ScalarText(c.Key) == "rungs"))
            Error(node, "earlyStop.rungs", "missing: give the training images between decisions, e.g. 'rungs: 480'");

        // Decisions read the evaluation curve, so the runs must record one at every rung.
        var evalEvery = settings.FirstOrDefault(s => s.Parameter.Name == "evalEvery");
        if (axes.Any(a => a[0].Parameter.Name == "evalEvery") || distributionAxes.Any(a => a.Parameter.Name == "evalEvery"))
            Error(node, "earlyStop", "evalEvery must be one fixed setting when early stopping");
        else if (evalEvery is null || !int.TryParse(evalEvery.Value, out var every) || every == 0)
            Error(node, "earlyStop", "early stopping reads the evaluation curve: set 'evalEvery' under settings");
        else if (rungs > 0 && rungs % every != 0)
            Error(rungsNode, "earlyStop.rungs", $"must be a multiple of evalEvery ({every}), so that every rung has an evaluation");
        return rule is { } known && metric is not null && rungs > 0 ? new EarlyStop(known, metric, rungs, reduction) : null;
    }

    /// <summary>How many runs the grid, trials and replicates expand to (explicit runs not counted).</summary>
    long CountSearchRuns(SweepSearch search, IReadOnlyList<List<SweepSetting>> axes)
    {
        long combinations = axes.Aggregate(1L, (n, axis) => n * axis.Count);
        if (axes.Count == 0 && !search.IsSampled) combinations = 0;
        long trials = search.IsSampled ? search.Trials : 1;
        return combinations * trials * Math.Max(1, search.Replicates.Count);
    }

    /// <summary>
    /// The runs of the grid: for each trial (one for a grid search), each combination of the list axes (nested loops
    /// in file order), each replicate seed. Trials come first, so that a budget that stops starting runs leaves whole
    /// trials; a configuration's replicates sit together.
    /// </summary>
    IEnumerable<(List<SweepSetting> Settings, string Source)> ExpandSearch(SweepSearch search, List<List<SweepSetting>> axes)
    {
        var points = SamplePoints(search).ToList();
        var combinations = axes.Count == 0 ? (search.IsSampled ? [[]] : []) : Product(axes).ToList();
        var seedParameter = RunParameters.Find("seed")!;
        for (int trial = 0; trial < points.Count; trial++)
        {
            var sampled = distributionAxes
                .Select((axis, i) => new SweepSetting(axis.Parameter, axis.Distribution.At(points[trial][i]), axis.Node))
                .ToList();
            var source = search.IsSampled ? $"trial {trial}" : "grid";
            foreach (var combination in combinations)
            {
                if (search.Replicates.Count == 0)
                {
                    yield return ([.. combination, .. sampled], source);
                    continue;
                }
                foreach (var seed in search.Replicates)
                    yield return ([.. combination, .. sampled, new SweepSetting(seedParameter, seed.ToString(CultureInfo.InvariantCulture), searchSections["replicates"])], source);
            }
        }
    }

    /// <summary>One point in [0, 1)^d per trial, d the number of distribution axes; a grid search has one empty
    /// point. Deterministic: the same file gives the same points.</summary>
    IEnumerable<double[]> SamplePoints(SweepSearch search)
    {
        int dimensions = distributionAxes.Count;
        switch (search.Method)
        {
            case SearchMethod.Grid:
                yield return [];
                break;
            case SearchMethod.Random:
                // System.Random with a seed uses its fixed legacy algorithm: the same numbers on every .NET version.
                var random = new Random(search.Seed);
                for (int t = 0; t < search.Trials; t++)
                    yield return Enumerable.Range(0, dimensions).Select(_ => random.NextDouble()).ToArray();
                break;
            case SearchMethod.Sobol:
                // The seed skips that many points, so that different seeds give different (still even) designs.
                var sobol = new SobolSequence(dimensions);
                for (int s = 0; s < search.Seed; s++) sobol.Next();
                for (int t = 0; t < search.Trials; t++)
                    yield return sobol.Next();
                break;
        }
    }

    /// <summary>A budget the sweep cannot keep even before it starts is a mistake in the file: more runs than
    /// maxRuns, or (without early stopping, which trains less) more training images than maxTrainImages.</summary>
    void CheckBudget(SweepSearch search, long runCount, IEnumerable<RunConfig> configs)
    {
        if (!searchSections.TryGetValue("budget", out var node) || node is not YamlMappingNode budget) return;
        YamlNode At(string key) => budget.Children.FirstOrDefault(c => ScalarText(c.Key) == key).Value ?? node;
        if (search.Budget.MaxRuns is { } maxRuns && runCount > maxRuns)
            Error(At("maxRuns"), "budget.maxRuns", $"the sweep expands to {runCount} runs, more than the budget of {maxRuns}: shrink the grid, the trials or the replicates");
        if (search.Budget.MaxTrainImages is { } maxImages && search.EarlyStop is null)
        {
            long images = configs.Sum(c => (long)(c.TrainSize == 0 ? Engine.Data.DatasetCatalog.Find(c.Dataset)?.TrainCount ?? 0 : c.TrainSize) * c.Epochs);
            if (images > maxImages)
                Error(At("maxTrainImages"), "budget.maxTrainImages", $"the sweep trains {images} images in all, more than the budget of {maxImages}: shrink the sweep or add earlyStop");
        }
    }
}
