namespace Gfe.Engine.Data.Files;

/// <summary>Opening a user's data file: a missing or unreadable file is a <see cref="DataException"/> (exit code 3)
/// that names it, never a raw IO exception.</summary>
static class DataFileIo
{
    public static FileStream OpenRead(string path)
    {
        if (Directory.Exists(path)) throw new DataException($"{path}: is a directory, not a data file.");
        if (!File.Exists(path)) throw new DataException($"{path}: data file not found.");
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path}: cannot read the data file: {e.Message}", e);
        }
    }
}
