using Gfe.Client.Commands;

// The first Ctrl+C asks gfe to stop waiting (and write what has finished); a second one ends the process at once.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (interrupt.IsCancellationRequested) return;
    e.Cancel = true;
    interrupt.Cancel();
};

return await new GfeCommandLine(Terminal.ForConsole()).InvokeAsync(args, interrupt.Token);
