namespace Gfe.Engine.Runs;

/// <summary>A run setting that is unknown or has a value it cannot take; <see cref="Key"/> names the setting.</summary>
public sealed class RunConfigException(string key, string message) : Exception(message)
{
    public string Key { get; } = key;
}
