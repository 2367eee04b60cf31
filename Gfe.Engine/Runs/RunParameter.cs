namespace Gfe.Engine.Runs;

/// <summary>
/// One named setting of a <see cref="RunConfig"/> as it appears in sweep files and run keys: how to read it from
/// text into a config, and how to write the config's value back as canonical text.
/// </summary>
public sealed record RunParameter(
    string Name,
    string Description,
    Func<RunConfig, string> Format,
    Func<RunConfig, string, RunConfig> Parse);
