using Gfe.Engine.Data.Files;

namespace Gfe.Engine.Data;

/// <summary>A dataset as a run uses it: the training split (already cut as docs/method.md §5, or as its declaration
/// says), the test split, and a one-line provenance (source and checksums) for results. A dataset from files also
/// carries its normalisation (already applied to both splits; <see cref="Normalization.Invert"/> gives values in the
/// data's own units), the per-sample labels of its test split, and its declared default loss.</summary>
public sealed record DatasetSplits(string Name, ImageSet Train, ImageSet Test, string Provenance)
{
    /// <summary>Values per sample D: the width of the model's output layer.</summary>
    public int FeatureCount => Train.FeatureCount;

    /// <summary>The shape of one sample, e.g. [28, 28], [64, 64] or [200]; pictures draw 2-D samples as images and
    /// 1-D samples as curves.</summary>
    public int[] SampleShape => Train.SampleShape;

    /// <summary>The normalisation fitted on the training split; <see cref="Normalization.None"/> for built-ins.</summary>
    public Normalization Normalization { get; init; } = Normalization.None;

    /// <summary>Per-sample labels of the test split in test order ([N] or [N, k]); null when the dataset has none
    /// beyond the byte labels of <see cref="Test"/>.</summary>
    public SampleArray? TestLabels { get; init; }

    /// <summary>Names of the label columns of <see cref="TestLabels"/> from the declaration; empty when not named.</summary>
    public IReadOnlyList<string> LabelNames { get; init; } = [];

    /// <summary>The loss a dataset's declaration names as its default (bce or mse); null for built-ins (bce).</summary>
    public string? DefaultLoss { get; init; }
}
