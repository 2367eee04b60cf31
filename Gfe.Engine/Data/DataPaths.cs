namespace Gfe.Engine.Data;

/// <summary>Where datasets live unless a command says otherwise.</summary>
public static class DataPaths
{
    /// <summary>The environment variable that overrides the default data directory.</summary>
    public const string EnvironmentVariable = "GFE_DATA_DIR";

    /// <summary>$GFE_DATA_DIR, else $XDG_DATA_HOME/gfe/data, else ~/.local/share/gfe/data.</summary>
    public static string DefaultDirectory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(configured)) return Path.GetFullPath(configured);
            var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            var baseDir = !string.IsNullOrWhiteSpace(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
            return Path.Combine(baseDir, "gfe", "data");
        }
    }
}
