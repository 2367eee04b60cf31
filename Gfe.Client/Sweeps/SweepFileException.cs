using Gfe.Client.Commands;

namespace Gfe.Client.Sweeps;

/// <summary>
/// A sweep file that cannot be run: missing, malformed YAML, or a key or value the run-settings table rejects. The
/// message names the file, the line and the key of every problem found, one per line, so the user can fix them all
/// in one go.
/// </summary>
public sealed class SweepFileException(string message) : GfeException(ExitCodes.InvalidInput, message);
