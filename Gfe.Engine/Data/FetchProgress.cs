namespace Gfe.Engine.Data;

/// <summary>A step of fetching a dataset: which source is being tried and how far it is, if known.</summary>
public sealed record FetchProgress(string Dataset, string Step, double? Fraction);
