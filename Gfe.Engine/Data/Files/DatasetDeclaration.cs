using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gfe.Engine.Data.Files;

/// <summary>A file a declaration was checked against: its reference as written, SHA-256, shape and dtype.</summary>
public sealed record DeclaredFile(string Reference, string Sha256, int[] Shape, string DType);

/// <summary>
/// A dataset from the user's own files, as <c>datasets/&lt;name&gt;.yaml</c> in the data directory (written by
/// <c>gfe data add</c>) or an entry of a sweep file's <c>datasets:</c> section declares it (docs/data.md). Either
/// <see cref="Test"/> names a test file or <see cref="TestFraction"/> cuts one file in two with <see cref="Seed"/>.
/// File references are relative to <see cref="BaseDirectory"/> (the declaration's folder). <see cref="Files"/> holds
/// what the files were when they were declared; a file that changed since is refused.
/// </summary>
public sealed partial record DatasetDeclaration(
    string Name,
    string Description,
    string Train,
    string? Test,
    double? TestFraction,
    int Seed,
    string? Labels,
    string? TestLabels,
    NormalizeMode Normalize,
    string Loss,
    IReadOnlyList<DeclaredFile> Files,
    string BaseDirectory)
{
    /// <summary>Optional names of the label columns (e.g. temperature, magnetisation), for the axes and tables of the
    /// report; one per column of the labels file. Not part of the data: two declarations that differ only here
    /// describe the same dataset.</summary>
    public IReadOnlyList<string> LabelNames { get; init; } = [];

    /// <summary>The folder of declarations inside the data directory.</summary>
    public const string FolderName = "datasets";

    public static readonly string[] Keys =
        ["name", "description", "train", "test", "testFraction", "seed", "labels", "testLabels", "labelNames", "normalize", "loss", "files"];

    public static readonly string[] Losses = ["bce", "mse"];

    /// <summary>The declaration file of <paramref name="name"/> in a data directory.</summary>
    public static string PathIn(string dataDirectory, string name) =>
        Path.Combine(dataDirectory, FolderName, name + ".yaml");

    /// <summary>Checks a dataset name: a safe file name, and not a built-in dataset's.</summary>
    public static string? NameProblem(string name)
    {
        if (!SafeName().IsMatch(name))
            return $"'{name}' cannot be a dataset name: use letters, digits, '.', '_' and '-'";
        if (DatasetCatalog.Find(name) is { } builtIn)
            return $"'{name}' is the name of the built-in dataset {builtIn.Name}; choose another name";
        return null;
    }

    /// <summary>Reads and checks a declaration file.</summary>
    public static DatasetDeclaration Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path}: cannot read the dataset declaration: {e.Message}", e);
        }
        return Parse(text, path, Path.GetFileNameWithoutExtension(path), Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Reads and checks a declaration's text (<see cref="ToYaml"/>'s, or a file's); <paramref name="where"/>
    /// prefixes messages.</summary>
    public static DatasetDeclaration Parse(string text, string where, string defaultName, string baseDirectory)
    {
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            root = stream.Documents.FirstOrDefault()?.RootNode as YamlMappingNode
                ?? throw new DataInputException($"{where}: a dataset declaration is a map of name, train, ...");
        }
        catch (YamlException e)
        {
            throw new DataInputException($"{where}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.Message}", e);
        }
        return FromYaml(root, where, defaultName, baseDirectory);
    }

    /// <summary>A declaration from a YAML map (a file's root, or an entry of a sweep file's <c>datasets:</c>);
    /// <paramref name="where"/> prefixes messages, <paramref name="defaultName"/> is used when the map has no name.</summary>
    public static DatasetDeclaration FromYaml(YamlMappingNode map, string where, string defaultName, string baseDirectory)
    {
        var values = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "?";
            if (!Keys.Contains(key))
                throw new DataInputException($"{where}:{keyNode.Start.Line}: unknown key '{key}'; a dataset declaration has {string.Join(", ", Keys)}");
            values[key] = valueNode;
        }
        string? Text(string key)
        {
            if (!values.TryGetValue(key, out var node)) return null;
            return node is YamlScalarNode s ? s.Value : throw new DataInputException($"{where}:{node.Start.Line}: {key}: expected a single value");
        }
        DataInputException Bad(string key, string message) =>
            new($"{where}:{(values.TryGetValue(key, out var n) ? n.Start.Line : map.Start.Line)}: {key}: {message}");

        var name = Text("name") ?? defaultName;
        if (NameProblem(name) is { } nameProblem) throw Bad("name", nameProblem);
        var train = Text("train") ?? throw Bad("train", "missing: name the training data file, e.g. 'train: spectra.npy'");
        var test = Text("test");
        double? fraction = null;
        if (Text("testFraction") is { } f)
        {
            if (!double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || !(x > 0 && x < 1))
                throw Bad("testFraction", $"must be a number between 0 and 1 (exclusive), not '{f}'");
            fraction = x;
        }
        if (test is null == fraction is null)
            throw Bad(test is null ? "test" : "testFraction",
                "give either 'test: FILE' or 'testFraction: F' (with 'seed'), exactly one of them");
        int seed = 0;
        if (Text("seed") is { } s && !int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
            throw Bad("seed", $"must be a whole number, not '{s}'");
        var normalizeText = Text("normalize") ?? "none";
        var normalize = Normalization.ParseMode(normalizeText) ?? throw Bad("normalize", $"must be none, minmax or standard, not '{normalizeText}'");
        var loss = (Text("loss") ?? "bce").ToLowerInvariant();
        if (!Losses.Contains(loss)) throw Bad("loss", $"must be bce or mse, not '{loss}'");
        var testLabels = Text("testLabels");
        if (testLabels is not null && test is null)
            throw Bad("testLabels", "only with a separate 'test' file; with testFraction the labels file is cut like the data");

        var labelNames = new List<string>();
        if (values.TryGetValue("labelNames", out var namesNode))
        {
            if (namesNode is not YamlSequenceNode names || names.Children.Any(n => n is not YamlScalarNode { Value.Length: > 0 }))
                throw Bad("labelNames", "expected a list of names, one per label column, e.g. [temperature, magnetisation]");
            labelNames.AddRange(names.Children.Cast<YamlScalarNode>().Select(n => n.Value!));
            if (Text("labels") is null) throw Bad("labelNames", "names label columns, but there is no 'labels' file");
        }

        var files = new List<DeclaredFile>();
        if (values.TryGetValue("files", out var filesNode))
        {
            if (filesNode is not YamlSequenceNode list) throw Bad("files", "expected a list of {file, sha256, shape, dtype}");
            foreach (var entry in list.Children.OfType<YamlMappingNode>())
            {
                string Get(string key) => entry.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode sv
                    ? sv.Value ?? "" : throw new DataInputException($"{where}:{entry.Start.Line}: files: each entry needs '{key}'");
                var shape = entry.Children.TryGetValue(new YamlScalarNode("shape"), out var sn) && sn is YamlSequenceNode seq
                    ? seq.Children.OfType<YamlScalarNode>().Select(v => int.Parse(v.Value!, CultureInfo.InvariantCulture)).ToArray() : [];
                files.Add(new DeclaredFile(Get("file"), Get("sha256"), shape, Get("dtype")));
            }
        }
        return new DatasetDeclaration(name, Text("description") ?? "", train, test, fraction, seed, Text("labels"), testLabels,
            normalize, loss, files, baseDirectory) { LabelNames = labelNames.Count == 0 ? Array.Empty<string>() : labelNames.ToArray() };
    }

    /// <summary>The references this declaration reads, in order: train, test, labels, testLabels.</summary>
    public IEnumerable<string> References => new[] { Train, Test, Labels, TestLabels }.OfType<string>();

    /// <summary>A reference resolved against <see cref="BaseDirectory"/>.</summary>
    public DataFileReference Resolve(string reference) => DataFileReference.Parse(reference, BaseDirectory);

    /// <summary>The declaration as YAML, as <c>gfe data add</c> writes it.</summary>
    public string ToYaml()
    {
        var text = new StringBuilder();
        text.AppendLine($"# Dataset declaration (docs/data.md). Paths are relative to this file's folder.");
        text.AppendLine($"name: {Name}");
        if (Description.Length > 0) text.AppendLine($"description: {Quote(Description)}");
        text.AppendLine($"train: {Quote(Train)}");
        if (Test is not null) text.AppendLine($"test: {Quote(Test)}");
        if (TestFraction is { } f)
        {
            text.AppendLine($"testFraction: {f.ToString("R", CultureInfo.InvariantCulture)}");
            text.AppendLine($"seed: {Seed}");
        }
        if (Labels is not null) text.AppendLine($"labels: {Quote(Labels)}");
        if (TestLabels is not null) text.AppendLine($"testLabels: {Quote(TestLabels)}");
        if (LabelNames.Count > 0) text.AppendLine($"labelNames: [{string.Join(", ", LabelNames.Select(Quote))}]");
        text.AppendLine($"normalize: {Normalization.Text(Normalize)}");
        text.AppendLine($"loss: {Loss}");
        if (Files.Count > 0)
        {
            text.AppendLine("# What the files were when declared; a file that changed since is refused.");
            text.AppendLine("files:");
            foreach (var file in Files)
                text.AppendLine($"  - {{ file: {Quote(file.Reference)}, sha256: {file.Sha256}, shape: [{string.Join(", ", file.Shape)}], dtype: {file.DType} }}");
        }
        return text.ToString();
    }

    static string Quote(string value) => "'" + value.Replace("'", "''") + "'";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex SafeName();
}
