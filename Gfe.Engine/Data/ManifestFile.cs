namespace Gfe.Engine.Data;

/// <summary>One IDX file of a dataset folder: its name, SHA-256 and how many images or labels it holds.</summary>
public sealed record ManifestFile(string Name, string Sha256, int Count);
