namespace Gfe.Engine.Data;

/// <summary>A dataset the engine knows: its name, the nominal sizes of its splits as a run uses them, and what it is.</summary>
public sealed record DatasetInfo(string Name, int TrainCount, int TestCount, string Description);
