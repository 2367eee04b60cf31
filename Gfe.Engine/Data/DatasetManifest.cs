using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gfe.Engine.Data;

/// <summary>
/// <c>manifest.json</c> of a dataset folder: where the four IDX files came from, their SHA-256 and counts, when they
/// were fetched and how (for a converted source, how it was split). <see cref="FetchedByGfe"/> is false for files the
/// user put there: those are never deleted or replaced by a fetch.
/// </summary>
public sealed record DatasetManifest(
    string Dataset,
    string Source,
    bool FetchedByGfe,
    DateTimeOffset FetchedUtc,
    IReadOnlyList<ManifestFile> Files,
    string Notes)
{
    public const string FileName = "manifest.json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    /// <summary>The first 12 hex digits of the SHA-256 of the four files' SHA-256 values in order: one short
    /// fingerprint of the whole dataset.</summary>
    public string ShortChecksum => CombinedChecksum(Files.Select(f => f.Sha256))[..12];

    /// <summary>One line for results: dataset, source and fingerprint.</summary>
    public string Provenance => $"{Dataset} from {Source}, sha256:{ShortChecksum}";

    public static string CombinedChecksum(IEnumerable<string> sha256s) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(string.Join("\n", sha256s))));

    public void Write(string datasetDirectory)
    {
        var path = Path.Combine(datasetDirectory, FileName);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, JsonOptions));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The manifest of a dataset folder, or null if it has none.</summary>
    public static DatasetManifest? Read(string datasetDirectory)
    {
        var path = Path.Combine(datasetDirectory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var manifest = JsonSerializer.Deserialize<DatasetManifest>(File.ReadAllText(path), JsonOptions);
            if (manifest?.Files is null || manifest.Source is null || manifest.Dataset is null)
                throw new DataException($"{path}: missing dataset, source or files.");
            return manifest;
        }
        catch (JsonException e)
        {
            throw new DataException($"{path}: not a valid manifest ({e.Message}).", e);
        }
        catch (IOException e)
        {
            throw new DataException($"{path}: cannot be read ({e.Message}).", e);
        }
    }
}
