namespace Gfe.Client.Results;

/// <summary>What <see cref="ResultsReport"/> wrote: the result table (Table 1 of the folder) and the figure files.</summary>
public sealed record WrittenReport(ResultPivot Pivot, IReadOnlyList<string> Figures)
{
    /// <summary>Best configurations, data efficiency and paired differences (report.md).</summary>
    public SearchAnalysis? Analysis { get; init; }
}
