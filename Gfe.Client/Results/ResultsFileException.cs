using Gfe.Client.Commands;

namespace Gfe.Client.Results;

/// <summary>A result file (runs.csv, curves.csv) that is missing or not in the format gfe writes; the message names
/// the file and, where it can, the row and column. Exit code 3 when it is missing, 2 when it is malformed.</summary>
public sealed class ResultsFileException(string message, bool missing = false)
    : GfeException(missing ? ExitCodes.Unavailable : ExitCodes.InvalidInput, message)
{
    /// <summary>True when the file is absent (rather than malformed).</summary>
    public bool Missing { get; } = missing;
}
