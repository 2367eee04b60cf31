namespace Gfe.Engine.Kernels;

/// <summary>
/// The right operand B [k, n] of <see cref="PanelGemm"/> (and its bias), repacked for one <see cref="SimdPath"/>'s
/// micro-kernel: column panels of <see cref="PanelGemm.PanelWidth"/> floats, each stored as its k rows one after the
/// other, so the micro-kernel reads a panel as one contiguous stream. Columns past n are zero, as is the bias there
/// (or everywhere, without a bias). Made by <see cref="PanelGemm.Pack"/>; the decoder kernel packs its weights once per
/// weight update and runs every trial of a solve on the same panels.
/// </summary>
public sealed class PackedPanels
{
    internal PackedPanels(SimdPath path) => Path = path;

    /// <summary>The path whose micro-kernel these panels are laid out for.</summary>
    public SimdPath Path { get; }

    /// <summary>Rows of B: the length of every sum.</summary>
    public int K { get; internal set; }

    /// <summary>Columns of B: the product writes this many columns of C, padded to <see cref="PanelGemm.Lanes"/>.</summary>
    public int N { get; internal set; }

    /// <summary>Panel p, row q, column c at [(p K + q) width + c].</summary>
    internal float[] Data { get; set; } = [];

    /// <summary>The bias for every panel column (zero past N).</summary>
    internal float[] Bias { get; set; } = [];
}
