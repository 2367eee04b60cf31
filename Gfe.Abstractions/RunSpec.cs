namespace Gfe.Abstractions;

/// <summary>
/// One training configuration as the client submits it: its canonical key and every setting as canonical text
/// (names and formats of Gfe.Engine's RunParameters table). <see cref="StopAtImages"/> is not a setting (it is not
/// part of the key): a sweep grain that stops runs early sets it to the training images of the run's next rung, and
/// the run then ends as stopped there; null trains to the end.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RunSpec(
    [property: Id(0)] string Key,
    [property: Id(1)] Dictionary<string, string> Settings,
    [property: Id(2)] long? StopAtImages = null);
