namespace Gfe.Client.Sweeps;

/// <summary>How a sweep picks its configurations: every combination of the grid's lists, or trials sampled from its
/// distributions.</summary>
public enum SearchMethod
{
    /// <summary>The product of the grid's lists (the default).</summary>
    Grid,

    /// <summary>Independent uniform draws from a generator seeded by <c>search.seed</c>.</summary>
    Random,

    /// <summary>A Sobol low-discrepancy sequence (unscrambled, its first point skipped): trials that cover the space
    /// more evenly than random draws.</summary>
    Sobol,
}
