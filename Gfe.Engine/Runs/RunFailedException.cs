namespace Gfe.Engine.Runs;

/// <summary>A run that cannot go on (a diverging loss, data too small for the request); the message says why.</summary>
public sealed class RunFailedException(string message) : Exception(message);
