namespace Gfe.Client.Running;

/// <summary>
/// gfe's own folder for what belongs to the user but to no results folder (the log of <c>gfe sweep status</c> and
/// <c>cancel</c>, results that could not be written where asked): $GFE_STATE_DIR, else $XDG_STATE_HOME/gfe, else
/// ~/.local/state/gfe. Created readable by the user only, unlike a shared temp directory.
/// </summary>
public static class StatePaths
{
    public const string EnvironmentVariable = "GFE_STATE_DIR";

    public static string Directory
    {
        get
        {
            if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } own) return Path.GetFullPath(own);
            var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
            if (string.IsNullOrEmpty(state))
                state = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
            return Path.Combine(state, "gfe");
        }
    }

    /// <summary>Creates <paramref name="subfolder"/> of the state folder (user-only permissions on Unix) and
    /// returns its path.</summary>
    public static string Create(string subfolder = "")
    {
        var path = Path.Combine(Directory, subfolder);
        if (OperatingSystem.IsWindows()) System.IO.Directory.CreateDirectory(path);
        else System.IO.Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
