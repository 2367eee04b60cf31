namespace Gfe.Engine.Data;

/// <summary>A dataset as a run uses it: the training split (already cut as engine-spec §5), the test split, and
/// a one-line provenance (source and checksums) for results.</summary>
public sealed record DatasetSplits(string Name, ImageSet Train, ImageSet Test, string Provenance);
