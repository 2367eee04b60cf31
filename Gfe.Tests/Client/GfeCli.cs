using Gfe.Client.Commands;

namespace Gfe.Tests.Client;

/// <summary>The <c>gfe</c> command line run in this process, its output and errors captured as a shell would see them.</summary>
static class GfeCli
{
    public static (int Code, string Output, string Error) Invoke(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = new GfeCommandLine(Terminal.Plain(output, error)).InvokeAsync(args, CancellationToken.None).GetAwaiter().GetResult();
        return (code, output.ToString(), error.ToString());
    }
}
