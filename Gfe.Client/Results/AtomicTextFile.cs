using System.Text;

namespace Gfe.Client.Results;

/// <summary>
/// A text file written whole or not at all: the text goes to a temporary file beside the target, which
/// <see cref="Commit"/> renames over it (an atomic replace on one file system). Disposed without a commit, the
/// temporary file is deleted and the target is left as it was.
/// </summary>
public sealed class AtomicTextFile : IDisposable
{
    readonly string path;
    readonly string temporary;
    readonly FileStream stream;
    bool committed;

    public AtomicTextFile(string path, Encoding encoding)
    {
        this.path = path;
        temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None);
        Writer = new StreamWriter(stream, encoding);
    }

    public TextWriter Writer { get; }

    public void Commit()
    {
        Writer.Flush();
        // On disk before the rename, so that a power cut cannot leave the new name on an empty file.
        stream.Flush(flushToDisk: true);
        Writer.Dispose();
        File.Move(temporary, path, overwrite: true);
        committed = true;
    }

    public void Dispose()
    {
        if (committed) return;
        Writer.Dispose();
        try { File.Delete(temporary); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
