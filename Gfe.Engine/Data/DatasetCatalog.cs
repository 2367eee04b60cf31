namespace Gfe.Engine.Data;

/// <summary>The datasets a sweep may name.</summary>
public static class DatasetCatalog
{
    // DATA HELPER: fill in the real nominal sizes (engine-spec §5) and any notes.
    public static IReadOnlyList<DatasetInfo> All { get; } =
    [
        new("mnist", 49_992, 10_000, "MNIST handwritten digits"),
        new("fashion-mnist", 49_992, 10_000, "Fashion-MNIST clothing images"),
    ];

    public static DatasetInfo? Find(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
}
