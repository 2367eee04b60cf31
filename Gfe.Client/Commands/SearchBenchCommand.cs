using System.CommandLine;
using System.Globalization;
using Gfe.Client.Results;
using Gfe.Client.Running;

namespace Gfe.Client.Commands;

/// <summary><c>gfe bench search</c>: random search and ASHA on the simulated objective with its known optimum
/// (<see cref="SearchBenchmark"/>).</summary>
public static class SearchBenchCommand
{
    public static Command Create(Terminal terminal)
    {
        var d = new SearchBenchmarkSettings();
        var trials = new Option<int>("--trials") { Description = $"Sampled configurations per sweep (default {d.Trials}).", DefaultValueFactory = _ => d.Trials };
        var seeds = new Option<int>("--sweep-seeds") { Description = $"Sweeps, each with its own search seed (default {d.SweepSeeds}).", DefaultValueFactory = _ => d.SweepSeeds };
        var replicates = new Option<int>("--replicates") { Description = $"Seeds per configuration (default {d.Replicates}).", DefaultValueFactory = _ => d.Replicates };
        var trainSize = new Option<int>("--train-size") { Description = $"Training images of a full run (default {d.TrainSize}).", DefaultValueFactory = _ => d.TrainSize };
        var rung = new Option<long>("--rung") { Description = $"Training images of ASHA's first rung (default {d.FirstRung}).", DefaultValueFactory = _ => d.FirstRung };
        var reduction = new Option<int>("--reduction") { Description = $"ASHA's reduction factor (default {d.Reduction}).", DefaultValueFactory = _ => d.Reduction };
        var workers = new Option<int>("--workers") { Description = $"Runs training at once in the simulated cluster (default {d.Workers}).", DefaultValueFactory = _ => d.Workers };
        var figures = new Option<string>("--figures") { Description = "Write the figures (PNG) into this folder.", HelpName = "DIR" };

        var command = new Command("search", """
            Measure the search on the simulated objective (method: simulate), whose optimum is known (lr 1e-3,
            batchSize 32, rmsAlpha 0.95; docs/performance.md): for each sweep seed, expand a random search with
            replicates exactly as `gfe sweep run` would, then report how far the best trial is from the optimum (the
            regret in expected test loss and the distance d), and replay the sweep with ASHA early stopping on a
            simulated cluster against training every trial in full: whether ASHA picks the same best configuration,
            and the share of training images it spends. No cluster and no torch; seconds.
            Exit codes: 0 done, 2 invalid arguments, 130 interrupted.
            """);
        foreach (var option in new Option[] { trials, seeds, replicates, trainSize, rung, reduction, workers, figures })
            command.Options.Add(option);

        command.SetAction((parse, cancel) =>
        {
            var settings = new SearchBenchmarkSettings
            {
                Trials = parse.GetValue(trials), SweepSeeds = parse.GetValue(seeds), Replicates = parse.GetValue(replicates),
                TrainSize = parse.GetValue(trainSize), FirstRung = parse.GetValue(rung), Reduction = parse.GetValue(reduction),
                Workers = parse.GetValue(workers),
            };
            if (settings.Problems() is { Count: > 0 } problems)
            {
                foreach (var problem in problems) terminal.Error.WriteLine($"error: {problem}");
                return Task.FromResult(ExitCodes.InvalidInput);
            }
            IReadOnlyList<SearchBenchmarkSeed> results;
            try
            {
                results = SearchBenchmark.Run(settings, cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return Task.FromResult(ExitCodes.Interrupted);
            }

            terminal.Output.WriteLine($"gfe bench search: {settings.Trials} trials x {settings.Replicates} replicates, {settings.SweepSeeds} sweep seeds, " +
                                      $"full run {settings.TrainSize} images, ASHA rungs from {settings.FirstRung} images, reduction {settings.Reduction}, {settings.Workers} workers");
            terminal.Output.WriteLine("  seed   best d   regret    ASHA same best   ASHA regret   ASHA images / full");
            foreach (var r in results)
                terminal.Output.WriteLine($"  {r.Seed,4}   {F(r.BestDistance, 3),6}   {F(r.Regret, 4),7}   {(r.AshaFoundTheSameBest ? "yes" : "no"),14}   {F(r.AshaRegret, 4),11}   {F(r.ImageFraction, 3),18}");
            var regrets = results.Select(r => r.Regret).Order().ToList();
            terminal.Output.WriteLine($"  random search regret: median {F(regrets[regrets.Count / 2], 4)}, worst {F(regrets[^1], 4)} " +
                                      $"(expected test loss above the optimum's; 1/sqrt(trainSize) + 0.05 = {F(0.05 + 1 / Math.Sqrt(settings.TrainSize), 4)} there)");
            terminal.Output.WriteLine($"  ASHA picked the full search's best in {results.Count(r => r.AshaFoundTheSameBest)}/{results.Count} sweeps, " +
                                      $"spending {F(results.Min(r => r.ImageFraction), 3)}-{F(results.Max(r => r.ImageFraction), 3)} of the full search's training images");

            if (parse.GetValue(figures) is { } folder)
                foreach (var file in SearchBenchFigures.Write(folder, results))
                    terminal.Output.WriteLine($"  figure {file}");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}

/// <summary>The figures of <c>gfe bench search</c>.</summary>
static class SearchBenchFigures
{
    public static IEnumerable<string> Write(string folder, IReadOnlyList<SearchBenchmarkSeed> results)
    {
        var regret = ReportFigure.Create("random search: regret of the best trial per sweep seed", "sweep seed", "expected test loss above the optimum");
        regret.Add.Bars(results.Select(r => r.Regret).ToArray());
        regret.Axes.Bottom.SetTicks([.. results.Select((_, i) => (double)i)], [.. results.Select(r => r.Seed.ToString(CultureInfo.InvariantCulture))]);
        yield return ReportFigure.Save(regret, folder, "search-random-regret.png");

        var asha = ReportFigure.Create("ASHA against full training: best complete configuration so far", "training images spent (all replicates)", "replicate-mean test loss of the best so far");
        var ashaColour = asha.Add.Palette.GetColor(0);
        var fullColour = asha.Add.Palette.GetColor(1);
        foreach (var r in results)
        {
            var a = asha.Add.Scatter(r.AshaProgress.Select(p => (double)p.Images).ToArray(), r.AshaProgress.Select(p => p.Best).ToArray(), ashaColour);
            var f = asha.Add.Scatter(r.FullProgress.Select(p => (double)p.Images).ToArray(), r.FullProgress.Select(p => p.Best).ToArray(), fullColour);
            a.MarkerSize = f.MarkerSize = 3;
            if (r.Seed == results[0].Seed)
            {
                a.LegendText = "ASHA";
                f.LegendText = "every trial in full";
            }
        }
        asha.ShowLegend(ScottPlot.Alignment.UpperRight);
        yield return ReportFigure.Save(asha, folder, "search-asha.png");
    }
}
