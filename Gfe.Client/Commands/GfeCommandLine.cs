using System.CommandLine;
using System.CommandLine.Parsing;

namespace Gfe.Client.Commands;

/// <summary>
/// The <c>gfe</c> command tree and its entry point. Invalid arguments exit with <see cref="ExitCodes.InvalidInput"/>
/// (like an invalid sweep file), and no command ends in a stack trace: unexpected errors print their message.
/// </summary>
public sealed class GfeCommandLine(Terminal terminal)
{
    public RootCommand Build()
    {
        var root = new RootCommand("""
            gfe: sweeps of Gradient-Flow Encoding (GFE) and autoencoder training runs, on one machine or an Orleans cluster.
            Start with 'gfe sweep run <file.yaml>'; 'gfe sweep list-settings' shows what a sweep file can set.
            """);
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
        var parse = Build().Parse(args.Count == 0 ? ["--help"] : args);
        // Help (--help) clears parse errors: "gfe sweep run --help" must show help, not complain about the file.
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            foreach (var error in parse.Errors) terminal.Error.WriteLine($"error: {error.Message}");
            terminal.Error.WriteLine($"See '{CommandPath(parse.CommandResult)} --help'.");
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
