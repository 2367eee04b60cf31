namespace Gfe.Client.Commands;

/// <summary>The exit codes of <c>gfe</c>, so that scripts and CI can tell the outcomes apart.</summary>
public static class ExitCodes
{
    /// <summary>Everything asked for was done; every run completed.</summary>
    public const int Success = 0;

    /// <summary>At least one run failed (the results were still written), or a command failed at run time.</summary>
    public const int RunsFailed = 1;

    /// <summary>Bad input: an invalid sweep file or command line. Nothing was run.</summary>
    public const int InvalidInput = 2;

    /// <summary>The data or the cluster could not be reached, so nothing was run.</summary>
    public const int Unavailable = 3;

    /// <summary>Interrupted with Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
