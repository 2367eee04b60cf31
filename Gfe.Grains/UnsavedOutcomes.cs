using Microsoft.Extensions.Logging;
using Orleans.Serialization;

namespace Gfe.Grains;

/// <summary>
/// Run records that a silo had to give up saving: the run finished while the grain storage was down and the silo
/// stopped before it came back. Each is kept as <c>&lt;run key&gt;.outcome.bin</c> beside the checkpoints (the
/// directory every silo of a cluster shares), so that the run's next activation, on any silo, records the outcome
/// instead of training the run again. Written to a temporary file and renamed, so a reader never sees half of one.
/// </summary>
public sealed class UnsavedOutcomes(string directory, Serializer serializer, ILogger<UnsavedOutcomes> logger)
{
    const string Extension = ".outcome.bin";

    public string PathOf(string runKey) => Path.Combine(directory, runKey + Extension);

    /// <summary>Keeps the record; false (and logged) when even the file cannot be written.</summary>
    public bool Keep(string runKey, RunRecord record)
    {
        var path = PathOf(runKey);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(temporary, serializer.SerializeToArray(record));
            File.Move(temporary, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError("Run {Key}: its unsaved outcome could not be kept in {Path} either ({Error})", runKey, path, e.Message);
            return false;
        }
        finally
        {
            try { File.Delete(temporary); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>The kept record of the run, or null. A file that cannot be read is logged and ignored: the run then
    /// resumes from its checkpoint, which is slower but correct.</summary>
    public RunRecord? Find(string runKey)
    {
        var path = PathOf(runKey);
        if (!File.Exists(path)) return null;
        try
        {
            return serializer.Deserialize<RunRecord>(File.ReadAllBytes(path));
        }
        catch (Exception e)
        {
            logger.LogWarning("Run {Key}: the kept outcome {Path} cannot be read ({Error}); the run resumes instead", runKey, path, e.Message);
            return null;
        }
    }

    /// <summary>Best effort, once the outcome is in the run's record.</summary>
    public void Remove(string runKey)
    {
        try { File.Delete(PathOf(runKey)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
