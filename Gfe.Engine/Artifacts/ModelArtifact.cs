using System.Text.Json;
using System.Text.Json.Nodes;
using Gfe.Engine.Data;
using Gfe.Engine.Runs;

namespace Gfe.Engine.Artifacts;

/// <summary>
/// A trained run kept as files, in a folder named by its run key: <c>decoder.safetensors</c>, for an AE also
/// <c>encoder.safetensors</c>, and <c>model.json</c>, the sidecar with what is needed to use the weights elsewhere:
/// run key, every setting, the layer widths, the output (logits for bce, values for mse), the sample shape and the
/// normalisation (offset and scale per feature) with which the data were scaled before training. docs/data.md shows
/// how to load it in PyTorch.
/// </summary>
public sealed record ModelArtifact(
    string RunKey,
    IReadOnlyDictionary<string, string> Settings,
    int[] SampleShape,
    int FeatureCount,
    Normalization Normalization,
    string Loss,
    string DataProvenance,
    IReadOnlyDictionary<string, double> TestLoss,
    TrainedModel Model)
{
    public const string DecoderFile = "decoder.safetensors";
    public const string EncoderFile = "encoder.safetensors";
    public const string SidecarFile = "model.json";

    /// <summary>Names of the dataset's label columns (the declaration's <c>labelNames</c>), kept for the report's
    /// latent figures; empty when the dataset names none.</summary>
    public IReadOnlyList<string> LabelNames { get; init; } = [];

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The artifact of a finished run; null when the run kept no model (a simulated run).</summary>
    public static ModelArtifact? Of(string runKey, RunConfig config, DatasetSplits? data, RunResult result) =>
        result.Model is null || data is null ? null : new(runKey,
            RunParameters.ToList(config).ToDictionary(kv => kv.Key, kv => kv.Value),
            data.SampleShape, data.FeatureCount, data.Normalization, Text(config.Loss), result.DataProvenance,
            result.TestLoss, result.Model) { LabelNames = data.LabelNames };

    static string Text<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>Writes the folder <paramref name="directory"/> (created; files replaced atomically one by one).</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var metadata = new Dictionary<string, string> { ["runKey"] = RunKey, ["format"] = "gfe model, see model.json" };
        SafeTensors.Write(Path.Combine(directory, DecoderFile), Model.Decoder, metadata);
        if (Model.Encoder is { } encoder) SafeTensors.Write(Path.Combine(directory, EncoderFile), encoder, metadata);
        var sidecar = new JsonObject
        {
            ["runKey"] = RunKey,
            ["method"] = Settings.GetValueOrDefault("method"),
            ["dataset"] = Settings.GetValueOrDefault("dataset"),
            ["sampleShape"] = Ints(SampleShape),
            ["featureCount"] = FeatureCount,
            ["latentDim"] = TrainedModel.Widths(Model.Decoder).FirstOrDefault(),
            ["decoderWidths"] = Ints(TrainedModel.Widths(Model.Decoder)),
            ["encoderWidths"] = Model.Encoder is null ? null : Ints(TrainedModel.Widths(Model.Encoder)),
            ["activation"] = Settings.GetValueOrDefault("activation") ?? "elu",
            ["loss"] = Loss,
            ["output"] = Loss == "bce" ? "logits: apply a sigmoid for values in [0,1]" : "values",
            ["normalization"] = new JsonObject
            {
                ["mode"] = Normalization.Text(Normalization.Mode),
                ["offset"] = Floats(Normalization.Offset),
                ["scale"] = Floats(Normalization.Scale),
                ["rule"] = "x_model = (x - offset) / scale per feature; none: x_model = x",
            },
            ["dataProvenance"] = DataProvenance,
            ["labelNames"] = LabelNames.Count == 0 ? null : new JsonArray([.. LabelNames.Select(n => (JsonNode?)JsonValue.Create(n))]),
            ["testLoss"] = new JsonObject(TestLoss.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
            ["settings"] = new JsonObject(Settings.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
        };
        var path = Path.Combine(directory, SidecarFile);
        File.WriteAllText(path + ".tmp", sidecar.ToJsonString(Indented));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Reads a model folder written by <see cref="Save"/>.</summary>
    public static ModelArtifact Load(string directory)
    {
        var sidecarPath = Path.Combine(directory, SidecarFile);
        if (!File.Exists(sidecarPath))
            throw new DataException($"{directory}: no {SidecarFile}; not a model folder written by a gfe run (results/<sweep>/models/<key>).");
        var json = JsonNode.Parse(File.ReadAllText(sidecarPath))!.AsObject();
        var decoder = SafeTensors.Read(Path.Combine(directory, DecoderFile)).Tensors;
        var encoderPath = Path.Combine(directory, EncoderFile);
        var encoder = File.Exists(encoderPath) ? SafeTensors.Read(encoderPath).Tensors : null;
        var normalization = json["normalization"]!.AsObject();
        var mode = Normalization.ParseMode(normalization["mode"]!.GetValue<string>()) ?? NormalizeMode.None;
        return new ModelArtifact(
            json["runKey"]!.GetValue<string>(),
            json["settings"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>()),
            json["sampleShape"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray(),
            json["featureCount"]!.GetValue<int>(),
            mode == NormalizeMode.None ? Normalization.None : new Normalization(mode,
                normalization["offset"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray(),
                normalization["scale"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray()),
            json["loss"]!.GetValue<string>(),
            json["dataProvenance"]?.GetValue<string>() ?? "",
            json["testLoss"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>()),
            new TrainedModel(decoder, encoder))
        {
            LabelNames = json["labelNames"] is JsonArray names ? [.. names.Select(n => n!.GetValue<string>())] : [],
        };
    }

    static JsonArray Ints(IEnumerable<int> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    static JsonArray Floats(IEnumerable<float> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
