namespace Gfe.Engine.Runs;

/// <summary>
/// One named setting of a <see cref="RunConfig"/> as it appears in sweep files and run keys: how to read it from
/// text into a config, and how to write the config's value back as canonical text.
/// </summary>
public sealed record RunParameter(
    string Name,
    string Description,
    Func<RunConfig, string> Format,
    Func<RunConfig, string, RunConfig> Parse)
{
    /// <summary>
    /// For a setting added after run keys were in use: the canonical value that the <see cref="RunKey"/> leaves out,
    /// so that configs which keep it keep the key they had before the setting existed. Null: always in the key.
    /// </summary>
    public string? OmittedFromKeyAt { get; init; }

    /// <summary>For a setting that only some methods read: true where the <see cref="RunKey"/> leaves it out whatever
    /// its value (e.g. flow.kernel for gfe-amd and ae), so that runs of those methods keep their keys. Null: never.</summary>
    public Func<RunConfig, bool>? OmittedFromKeyWhen { get; init; }

    /// <summary>A list-valued setting (e.g. hidden: [150, 300, 600]): a sweep file gives it as a YAML list, and a grid
    /// axis of it as a list of lists. Its canonical text is the list in brackets.</summary>
    public bool IsList { get; init; }

    /// <summary>The kind of value the setting takes (which search distributions fit it); text unless its table
    /// entry says otherwise.</summary>
    public SettingKind Kind { get; init; } = SettingKind.Text;
}
