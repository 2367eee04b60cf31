using Gfe.Client.Commands;

namespace Gfe.Client.Results;

/// <summary>Some result files could not be written (a read-only folder, a full disk); the others were. Exit code
/// <see cref="ExitCodes.ResultsNotWritten"/>, distinct from a failed run.</summary>
public sealed class ResultsNotWrittenException(string directory, IReadOnlyList<string> failures)
    : GfeException(ExitCodes.ResultsNotWritten,
        $"cannot write {failures.Count} result file(s) in {directory}: {string.Join("; ", failures.Take(3))}" +
        (failures.Count > 3 ? $"; and {failures.Count - 3} more" : ""))
{
    public string Directory { get; } = directory;

    /// <summary>"file: reason" per file that was not written.</summary>
    public IReadOnlyList<string> Failures { get; } = failures;
}
