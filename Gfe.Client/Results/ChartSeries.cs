namespace Gfe.Client.Results;

/// <summary>One line of a <see cref="LineChart"/>: its legend label and its points in drawing order.</summary>
public sealed record ChartSeries(string Label, IReadOnlyList<(double X, double Y)> Points);
