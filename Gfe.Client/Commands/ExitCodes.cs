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

    /// <summary>The runs finished but some result file could not be written (the folder is read-only, the disk is
    /// full); every file that could be written was, and the message names the ones that were not.</summary>
    public const int ResultsNotWritten = 4;

    /// <summary>Interrupted with Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    /// <summary>The table printed by every command's --help and the README.</summary>
    public const string Help =
        "Exit codes: 0 done (every run completed), 1 a run failed (results still written), 2 invalid input (nothing ran), " +
        "3 data or cluster unavailable, 4 a result file could not be written (the others were), 130 interrupted.";
}
