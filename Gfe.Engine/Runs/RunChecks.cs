using Gfe.Engine.Flows;
using Gfe.Engine.Solvers;

namespace Gfe.Engine.Runs;

/// <summary>A setting a run cannot take: <see cref="Key"/> names it as a sweep file does.</summary>
public sealed record SettingProblem(string Key, string Message);

/// <summary>
/// Every check of a run's settings that does not need the data's contents, in one place: the sweep parser runs it on
/// each run before anything runs (exit code 2), and the engine before any torch call (a failed run, never a native
/// abort). Checks that need the loaded data (sizes against the splits, reconstructions against the test count) stay
/// with the data (<see cref="Training.RunInputs"/>). The rules of AMD, the flow grids and the model live with them
/// (<see cref="AmdSolver.Problem"/>, <see cref="TimeGrid.Problem"/>, <see cref="ModelSettings"/>) and are called from here.
/// </summary>
public static class RunChecks
{
    /// <summary>The first problem of a torch run on data of <paramref name="features"/> features per sample, or null.
    /// A simulated run trains nothing and has none.</summary>
    public static SettingProblem? Problem(RunConfig config, int features)
    {
        if (config.Method == RunMethod.Simulate) return null;
        if (config.BatchSize < 1) return new("batchSize", $"batchSize must be at least 1, not {config.BatchSize}");
        if (config.TestBatchSize < 1) return new("testBatchSize", $"testBatchSize must be at least 1, not {config.TestBatchSize}");
        if (config.CurveEvery < 1) return new("curveEvery", $"curveEvery must be at least 1, not {config.CurveEvery}");
        if (config.TrainSize < 0) return new("trainSize", $"trainSize must be 0 (all) or positive, not {config.TrainSize}");
        if (config.TestSize < 0) return new("testSize", $"testSize must be 0 (all) or positive, not {config.TestSize}");
        if (!(config.LearningRate > 0) || !double.IsFinite(config.LearningRate))
            return new("lr", $"lr must be a positive number, not {config.LearningRate}");
        if (!(config.RmsAlpha > 0 && config.RmsAlpha < 1)) return new("rmsAlpha", $"rmsAlpha must lie in (0, 1), not {config.RmsAlpha}");
        if (!(config.RmsEps > 0)) return new("rmsEps", $"rmsEps must be positive, not {config.RmsEps}");
        if (AmdSolver.Problem(config.Amd) is { } amd) return new(SettingNamedBy(amd, "amd.tau"), amd);
        if (config.Epochs < 1) return new("epochs", $"epochs must be at least 1, not {config.Epochs}");
        if (config.EvalEvery < 0) return new("evalEvery", $"evalEvery must be 0 (off) or positive, not {config.EvalEvery}");
        if (config.EvalSize < 1) return new("evalSize", $"evalSize must be at least 1, not {config.EvalSize}");
        if (config.CheckpointEvery < 0)
            return new("checkpointEvery", $"checkpointEvery must be 0 (off) or positive, not {config.CheckpointEvery}");
        if (config.Reconstructions < 0) return new("reconstructions", $"reconstructions must be 0 (none) or positive, not {config.Reconstructions}");
        if (config.Method is RunMethod.GfeRk4 or RunMethod.GfeNesterov && TimeGrid.Problem(config.Flow) is { } flow)
            return new(SettingNamedBy(flow, "flow.points"), flow);
        if (ModelSettings.LatentProblem(config.LatentDim) is { } latent) return new("latentDim", latent);
        if (ModelSettings.Problem(config, features) is { } model) return new("hidden", model);
        return null;
    }

    /// <summary>The setting a message of <see cref="AmdSolver.Problem"/> or <see cref="TimeGrid.Problem"/> starts with.</summary>
    static string SettingNamedBy(string message, string fallback)
    {
        var first = message.Split(' ', 2)[0];
        return RunParameters.Find(first)?.Name ?? fallback;
    }
}
