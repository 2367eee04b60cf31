namespace Gfe.Engine.Data;

/// <summary>
/// A dataset the engine knows: its name, the nominal sizes of its splits as a run uses them, and what it is.
/// <paramref name="BuiltFrom"/> names the dataset whose files it is cut from (SegMNIST from MNIST); null for a dataset
/// with its own files.
/// </summary>
public sealed record DatasetInfo(string Name, int TrainCount, int TestCount, string Description, string? BuiltFrom = null);
