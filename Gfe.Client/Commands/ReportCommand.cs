using System.CommandLine;
using Gfe.Client.Results;

namespace Gfe.Client.Commands;

/// <summary>
/// <c>gfe report</c>: remake the tables and figures of a results folder from its runs.csv, curves.csv and
/// reconstructions.csv, offline (e.g. a folder copied from a cluster machine).
/// </summary>
public static class ReportCommand
{
    public static Command Create(Terminal terminal)
    {
        var folder = new Argument<string>("results")
        {
            Description = "A results folder of 'gfe sweep run' (results/<sweep name>/) holding runs.csv and curves.csv.",
        };
        var command = new Command("report", """
            Write the result tables and figures of a results folder from its runs.csv and curves.csv, without a cluster:
            table.md and table.csv (Table 1: mean ± std of the test loss over seeds), and PNG figures in plots/: per
            dataset and trainSize the train loss, and the evaluation curves when the runs had evalEvery, against
            training images seen and against training seconds, one line per method (mean over seeds); and, when the
            folder has reconstructions.csv (runs with 'reconstructions: K'), the reconstruction grids in
            reconstructions/: one per run and Figure 3 per trainSize (figure3.n<trainSize>.png); and, when runs kept
            their test latents with labels ('latents: true'), the correlation of the best latent direction with each
            label (latents.md, report.md, printed here) and per run the latents against each label
            (latents/<key>.label<j>.png).
            Exit codes: 0 written, 2 a file is malformed, 3 the folder or a file is missing, 4 a table or figure could
            not be written.
            """);
        command.Arguments.Add(folder);
        command.SetAction(parse => Execute(parse.GetValue(folder)!, terminal));
        return command;
    }

    public static int Execute(string directory, Terminal terminal)
    {
        WrittenReport written;
        try
        {
            written = ResultsReport.Write(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GfeException(ExitCodes.ResultsNotWritten, $"cannot write the report into {directory}: {e.Message}", e);
        }

        terminal.Output.WriteLine($"{Path.Combine(directory, ResultsWriter.TableMarkdownFile)}, {ResultsWriter.TableCsvFile}: {written.Pivot.Rows.Count} table rows");
        foreach (var figure in written.Figures) terminal.Output.WriteLine(figure);
        if (written.Figures.Count == 0) terminal.Output.WriteLine("no figures: no completed run has a curve in curves.csv");
        if (written.Latents.Count > 0) PrintLatents(written.Latents, terminal.Output);
        return ExitCodes.Success;
    }

    /// <summary>The report's latent correlations, a line per method, train size and label (also the end of
    /// <c>gfe sweep run</c>).</summary>
    public static void PrintLatents(IReadOnlyList<LatentCorrelation> latents, TextWriter output)
    {
        output.WriteLine("latent codes against labels: correlation of the best single latent direction with each label (and its absolute value), mean over seeds");
        foreach (var group in latents.GroupBy(r => (r.Method, r.TrainSize, r.Label)))
            output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"  {group.Key.Method} trainSize {group.Key.TrainSize} {group.First().LabelText}: r {group.Average(r => r.R):F3}, with abs(label) {group.Average(r => r.RAbs):F3} (n={group.Count()})"));
    }
}
