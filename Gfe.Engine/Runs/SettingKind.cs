namespace Gfe.Engine.Runs;

/// <summary>What kind of value a run setting takes, so that a search can tell which distributions fit it: a range
/// for numbers, a choice for anything.</summary>
public enum SettingKind
{
    /// <summary>Free text (e.g. a dataset name) or a value with its own format (e.g. a list of widths): only a
    /// choice of written values fits it.</summary>
    Text,

    /// <summary>A whole number.</summary>
    Integer,

    /// <summary>A finite real number.</summary>
    Real,

    /// <summary>true or false.</summary>
    Boolean,

    /// <summary>One of a fixed set of names (an enum).</summary>
    Enum,
}
