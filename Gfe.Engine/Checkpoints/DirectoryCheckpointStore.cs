using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gfe.Engine.Checkpoints;

/// <summary>
/// Checkpoints as files in one directory, <c>&lt;run key&gt;.checkpoint.json</c>. A save writes a temporary file and
/// renames it over the old one, so a crash mid-save leaves the previous checkpoint intact.
/// </summary>
public sealed class DirectoryCheckpointStore : ICheckpointStore
{
    const string Extension = ".checkpoint.json";

    // NaN is a legitimate train loss before the first batch; doubles are written shortest-round-trip, so values come
    // back bit-identical.
    static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public DirectoryCheckpointStore(string directory)
    {
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }

    /// <summary>The file of a run's checkpoint.</summary>
    public string PathOf(string runKey)
    {
        if (runKey.Length == 0 || runKey.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || runKey is "." or "..")
            throw new ArgumentException($"run key '{runKey}' cannot name a checkpoint file", nameof(runKey));
        return Path.Combine(Directory, runKey + Extension);
    }

    public TrainingCheckpoint? Latest(string runKey)
    {
        var path = PathOf(runKey);
        if (!File.Exists(path)) return null;
        try
        {
            using var file = File.OpenRead(path);
            return JsonSerializer.Deserialize<TrainingCheckpoint>(file, Json)
                ?? throw new IOException($"checkpoint {path} is empty");
        }
        catch (JsonException e)
        {
            throw new IOException($"checkpoint {path} cannot be read ({e.Message}); delete it to start the run afresh", e);
        }
    }

    public void Save(TrainingCheckpoint checkpoint)
    {
        var path = PathOf(checkpoint.RunKey);
        System.IO.Directory.CreateDirectory(Directory);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = File.Create(temporary))
                JsonSerializer.Serialize(file, checkpoint, Json);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    public void Remove(string runKey) => File.Delete(PathOf(runKey));
}
