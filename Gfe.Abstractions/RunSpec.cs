namespace Gfe.Abstractions;

/// <summary>
/// One training configuration as the client submits it: its canonical key and every setting as canonical text
/// (names and formats of Gfe.Engine's RunParameters table).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RunSpec(
    [property: Id(0)] string Key,
    [property: Id(1)] Dictionary<string, string> Settings);
