using System.CommandLine;
using System.CommandLine.Parsing;

namespace Gfe.Client.Commands;

/// <summary>
/// The <c>gfe</c> command tree and its entry point. Invalid arguments exit with <see cref="ExitCodes.InvalidInput"/>
/// (like an invalid sweep file), and no command ends in a stack trace: a <see cref="GfeException"/> thrown anywhere
/// below is printed here, once, as one line, and its code is the exit code; anything unexpected prints its message
/// and exits with <see cref="ExitCodes.RunsFailed"/>.
/// </summary>
public sealed class GfeCommandLine(Terminal terminal)
{
    public RootCommand Build()
    {
        var root = new RootCommand($"""
            gfe: sweeps of Gradient-Flow Encoding (GFE) and autoencoder training runs, on one machine or an Orleans cluster.
            Start with 'gfe sweep run <file.yaml>'; 'gfe sweep list-settings' shows what a sweep file can set.
            {ExitCodes.Help}
            """);
        // Each top-level command builds its own subtree; a new one is one more line here.
        root.Subcommands.Add(SweepCommand.Create(terminal));
        root.Subcommands.Add(DataCommand.Create(terminal));
        root.Subcommands.Add(EncodeCommand.Create(terminal));
        root.Subcommands.Add(ReportCommand.Create(terminal));
        root.Subcommands.Add(BenchCommand.Create(terminal));
        return root;
    }

    /// <summary>Parses and runs one command line; <paramref name="cancel"/> is the user's Ctrl+C.</summary>
    public async Task<int> InvokeAsync(IReadOnlyList<string> args, CancellationToken cancel)
    {
        // A bare 'gfe' is someone finding their way: show the overview rather than an error.
        var root = Build();
        var parse = root.Parse(args.Count == 0 ? ["--help"] : args);
        // So is a command that only groups others ('gfe bench', 'gfe sweep'): list them rather than complain.
        if (parse.Errors.Count > 0 && parse.CommandResult.Command is { Action: null, Subcommands.Count: > 0 } && parse.UnmatchedTokens.Count == 0)
            parse = root.Parse([.. args, "--help"]);
        // Help (--help) clears parse errors: "gfe sweep run --help" must show help, not complain about the file.
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            // The first problem, on one line, and where to read more: a wrong number of arguments often causes
            // several errors that all say the same.
            terminal.Error.WriteLine($"error: {parse.Errors[0].Message} (see '{CommandPath(parse.CommandResult)} --help')");
            return ExitCodes.InvalidInput;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = terminal.Output,
                Error = terminal.Error,
                EnableDefaultExceptionHandler = false,
                // Ctrl+C is handled by the caller's token, so that an interrupted sweep can still write its results.
                ProcessTerminationTimeout = null,
            }, cancel);
        }
        catch (GfeException e)
        {
            terminal.Error.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            terminal.Error.WriteLine("interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            terminal.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.RunsFailed;
        }
    }

    static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? node = result; node is CommandResult command; node = node.Parent)
            names.Insert(0, command.Command.Name);
        if (names.Count > 0) names[0] = "gfe";
        return string.Join(' ', names);
    }
}
