using System.Runtime.InteropServices;
using Gfe.Client.Commands;

// The first Ctrl+C asks gfe to stop waiting (and write what has finished); a second one ends the process at once.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (interrupt.IsCancellationRequested) return;
    e.Cancel = true;
    interrupt.Cancel();
};
// SIGTERM (kill, timeout, a cancelled CI job) the same way: the results so far are written before gfe exits. It matters
// for gfe started in the background, where the shell has it ignore SIGINT.
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    if (interrupt.IsCancellationRequested) return;
    context.Cancel = true;
    interrupt.Cancel();
});

// A forced SIMD path this CPU cannot run (or a misspelt one) must not fall back silently: a benchmark would measure
// the wrong path. Checked once here, before any command makes a kernel.
if (Environment.GetEnvironmentVariable(Gfe.Engine.Kernels.SimdPaths.EnvironmentVariable) is { Length: > 0 } simd &&
    Gfe.Engine.Kernels.SimdPaths.Problem(simd) is { } simdProblem)
{
    Console.Error.WriteLine($"error: {Gfe.Engine.Kernels.SimdPaths.EnvironmentVariable}: {simdProblem}");
    return ExitCodes.InvalidInput;
}

return await new GfeCommandLine(Terminal.ForConsole()).InvokeAsync(args, interrupt.Token);
