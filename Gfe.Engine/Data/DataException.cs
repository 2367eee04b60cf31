namespace Gfe.Engine.Data;

/// <summary>Data that is missing, corrupt or cannot be fetched; the message names the file or source.</summary>
public sealed class DataException(string message, Exception? inner = null) : Exception(message, inner);
