namespace Gfe.Abstractions;

/// <summary>
/// One training configuration as the client submits it: its canonical key and every setting as canonical text
/// (names and formats of Gfe.Engine's RunParameters table). <see cref="StopAtImages"/> is not a setting (it is not
/// part of the key): a sweep grain that stops runs early sets it to the training images of the run's next rung, and
/// the run then ends as stopped there; null trains to the end. <see cref="DatasetDeclaration"/> is not a setting either:
/// for a dataset the sweep file declares itself (its <c>datasets:</c> section), the declaration as YAML with absolute
/// file paths and checksums, so that the silo that trains the run loads the data from it instead of looking the name
/// up in its own data directory (docs/cluster.md); null for built-in datasets and datasets declared in the data
/// directory.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RunSpec(
    [property: Id(0)] string Key,
    [property: Id(1)] Dictionary<string, string> Settings,
    [property: Id(2)] long? StopAtImages = null,
    [property: Id(3)] string? DatasetDeclaration = null);
