using System.ComponentModel;
using System.Diagnostics;

namespace Gfe.Engine.Data;

/// <summary>Runs a command-line tool (apt-get, dpkg-deb, npm for an offline source; python for the authors' code) and turns every way it can fail
/// (absent, non-zero exit, hanging) into a one-line <see cref="DataException"/>.</summary>
public static class ExternalTool
{
    /// <summary>Runs <paramref name="tool"/> and returns its standard output; <paramref name="environment"/> adds to or
    /// overrides the inherited environment.</summary>
    public static string Run(
        string tool, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout, CancellationToken cancel,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(tool)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // npm would otherwise look for updates and print funding notices on a machine that may have no internet.
        start.Environment["npm_config_update_notifier"] = "false";
        start.Environment["npm_config_fund"] = "false";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        string commandLine = string.Join(' ', [tool, .. arguments]);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new DataException($"`{commandLine}` could not be started.");
        }
        catch (Win32Exception)
        {
            throw new DataException($"{tool} is not installed (not found on PATH).");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancel);
            var errors = process.StandardError.ReadToEndAsync(cancel);
            bool finished;
            try
            {
                finished = process.WaitForExitAsync(cancel).Wait(timeout);
            }
            catch (AggregateException e) when (e.InnerException is OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw e.InnerException;
            }
            if (!finished)
            {
                process.Kill(entireProcessTree: true);
                throw new DataException($"`{commandLine}` did not finish within {timeout.TotalSeconds:0} s.");
            }
            if (process.ExitCode != 0)
            {
                var lastLine = errors.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .LastOrDefault() ?? "no message";
                throw new DataException($"`{commandLine}` failed (exit {process.ExitCode}): {lastLine}");
            }
            return output.Result;
        }
    }
}
