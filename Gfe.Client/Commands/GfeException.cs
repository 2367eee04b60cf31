namespace Gfe.Client.Commands;

/// <summary>
/// Why a <c>gfe</c> command cannot go on, as the user should read it, with the exit code that tells scripts which
/// kind of problem it was (<see cref="ExitCodes"/>). Commands throw it and <see cref="GfeCommandLine"/> catches it
/// once, prints the message and exits with the code, so no command prints-and-returns on its own.
/// </summary>
public class GfeException(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>Bad input (a command line, a sweep file, a setting): nothing was run.</summary>
    public static GfeException InvalidInput(string message) => new(ExitCodes.InvalidInput, message);

    /// <summary>The data or the cluster could not be reached.</summary>
    public static GfeException Unavailable(string message, Exception? inner = null) => new(ExitCodes.Unavailable, message, inner);

    /// <summary>Runs a step that reads or writes the user's data files, with the data layer's failures as exit codes:
    /// unusable data (<see cref="Engine.Data.Files.DataInputException"/>) is invalid input; a missing or unreadable
    /// file (<see cref="Engine.Data.DataException"/>, an I/O error) is data unavailable.</summary>
    public static T FromData<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Engine.Data.Files.DataInputException e)
        {
            throw new GfeException(ExitCodes.InvalidInput, e.Message, e);
        }
        catch (Exception e) when (e is Engine.Data.DataException or IOException or UnauthorizedAccessException)
        {
            throw Unavailable(e.Message, e);
        }
    }
}
