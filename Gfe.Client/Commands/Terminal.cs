using Spectre.Console;

namespace Gfe.Client.Commands;

/// <summary>
/// Where a command writes: <see cref="Out"/> (tables, live progress) and <see cref="Output"/> (plain lines) are both
/// stdout, <see cref="Error"/> is for problems (stderr, so that scripts can tell them apart); and whether stdout is a
/// live terminal (progress redraws in place) or a log (CI, a pipe: plain periodic lines).
/// </summary>
public sealed record Terminal(IAnsiConsole Out, TextWriter Output, TextWriter Error, bool Interactive)
{
    /// <summary>The process's own console; Spectre decides from the environment whether it is interactive.</summary>
    public static Terminal ForConsole()
    {
        // Redirected output has no width; wide enough that run keys and tables stay on one line in logs.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = LogWidth;
        return new(AnsiConsole.Console, Console.Out, Console.Error, AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected);
    }

    /// <summary>A plain, non-interactive terminal over the given writers (tests, redirected output).</summary>
    public static Terminal Plain(TextWriter output, TextWriter error)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = LogWidth;
        return new(console, output, error, false);
    }

    const int LogWidth = 240;
}
