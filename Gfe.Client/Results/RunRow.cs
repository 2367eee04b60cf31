using Gfe.Abstractions;
using Gfe.Client.Running;
using Gfe.Engine.Runs;

namespace Gfe.Client.Results;

/// <summary>
/// One row of runs.csv: the run's key, its settings as canonical text in column order, its state and its test loss
/// per evaluation, its <see cref="RunWarnings"/> (empty when none) and the images it trained on. The result table is built from these rows, whether they come from a sweep that just ran or from a
/// runs.csv read back from disk, so both give the same table.
/// </summary>
public sealed record RunRow(
    string Key,
    IReadOnlyList<KeyValuePair<string, string>> Settings,
    string State,
    IReadOnlyDictionary<string, double> TestLoss,
    string Warnings = "",
    long? ImagesSeen = null)
{
    public const string CompletedState = "completed";

    public bool IsCompleted => State == CompletedState;

    /// <summary>The canonical text of a setting, empty when the row does not have it (e.g. a file from an older gfe).</summary>
    public string Setting(string name)
    {
        foreach (var (key, value) in Settings)
            if (key == name) return value;
        return "";
    }

    /// <summary>The row that runs.csv holds for this run: settings in the settings table's order.</summary>
    public static RunRow From(RunRecord record)
    {
        var (run, status) = record;
        // A completed status without an outcome has nothing to report, so it does not count as a completed row.
        var state = status.State == RunState.Completed && status.Outcome is null ? "unreported" : StateName(status.State);
        return new RunRow(
            run.Key,
            RunParameters.ToList(run.Config),
            state,
            status.Outcome?.TestLoss ?? new Dictionary<string, double>(),
            RunWarnings.For(status.Outcome),
            status.Outcome?.ImagesSeen ?? status.ImagesSeen);
    }

    public static string StateName(RunState state) => state.ToString().ToLowerInvariant();
}
