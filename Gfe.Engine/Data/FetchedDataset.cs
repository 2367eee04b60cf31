namespace Gfe.Engine.Data;

/// <summary>What a source says about the files it has just written: a one-line description of the source (name,
/// version, address) and notes for the manifest (e.g. how a converted source was split).</summary>
public sealed record FetchedDataset(string Source, string Notes);
