namespace Gfe.Client.Results;

/// <summary>What <see cref="ResultsReport"/> wrote: the result table (Table 1 of the folder) and the figure files.</summary>
public sealed record WrittenReport(ResultPivot Pivot, IReadOnlyList<string> Figures)
{
    /// <summary>Best configurations, data efficiency and paired differences (report.md).</summary>
    public SearchAnalysis? Analysis { get; init; }

    /// <summary>Per run and label column, the correlation of the best latent direction with the label (runs with
    /// <c>latents: true</c> on labelled data; empty otherwise).</summary>
    public IReadOnlyList<LatentCorrelation> Latents { get; init; } = [];
}
