using System.Globalization;
using Gfe.Engine.Models;

namespace Gfe.Engine.Runs;

/// <summary>
/// The table of every run setting that a sweep file may name. Reading and writing go through this one table, so the
/// sweep parser, the canonical run key and the result CSV cannot disagree about names or formats.
/// </summary>
public static class RunParameters
{
    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static IReadOnlyList<RunParameter> All { get; } =
    [
        Enum("method", "what to train: gfe-amd, ae, gfe-rk4, gfe-nesterov or simulate", c => c.Method, (c, v) => c with { Method = v }),
        Text("dataset", "dataset name: mnist, fashion-mnist or segmnist", c => c.Dataset, (c, v) => c with { Dataset = v.ToLowerInvariant() }),
        Int("trainSize", "training images N (the first N of the seeded shuffle); 0 = the whole training split", 0, c => c.TrainSize, (c, v) => c with { TrainSize = v }),
        Int("testSize", "test images M (the first M of the test set); 0 = all", 0, c => c.TestSize, (c, v) => c with { TestSize = v }),
        Int("seed", "seed of the subset, the weights and the latent starts", 0, c => c.Seed, (c, v) => c with { Seed = v }),
        Int("batchSize", "training batch size B", 1, c => c.BatchSize, (c, v) => c with { BatchSize = v }),
        Int("testBatchSize", "batch size of AMD test encoding", 1, c => c.TestBatchSize, (c, v) => c with { TestBatchSize = v }),
        Enum("z0", "latent start: uniform (reference) or zero (paper)", c => c.Z0, (c, v) => c with { Z0 = v }),
        Real("lr", "RMSprop learning rate", c => c.LearningRate, (c, v) => c with { LearningRate = v }),
        Real("rmsAlpha", "RMSprop smoothing constant", c => c.RmsAlpha, (c, v) => c with { RmsAlpha = v }),
        Real("rmsEps", "RMSprop epsilon", c => c.RmsEps, (c, v) => c with { RmsEps = v }),
        Int("curveEvery", "record the train-loss curve every this many batches", 1, c => c.CurveEvery, (c, v) => c with { CurveEvery = v }),
        Real("amd.tau", "AMD flow horizon tau", c => c.Amd.Tau, (c, v) => c with { Amd = c.Amd with { Tau = v } }),
        Real("amd.dtStart", "AMD initial step s0", c => c.Amd.DtStart, (c, v) => c with { Amd = c.Amd with { DtStart = v } }),
        Real("amd.dtMax", "AMD largest step smax", c => c.Amd.DtMax, (c, v) => c with { Amd = c.Amd with { DtMax = v } }),
        Real("amd.growth", "AMD step growth kappa", c => c.Amd.Growth, (c, v) => c with { Amd = c.Amd with { Growth = v } }),
        Real("amd.beta", "AMD backtracking factor beta", c => c.Amd.Beta, (c, v) => c with { Amd = c.Amd with { Beta = v } }),
        Int("amd.maxHalvings", "AMD fallback after dt < beta^K", 1, c => c.Amd.MaxHalvings, (c, v) => c with { Amd = c.Amd with { MaxHalvings = v } }),
        Real("amd.sigma", "AMD Armijo sigma", c => c.Amd.Sigma, (c, v) => c with { Amd = c.Amd with { Sigma = v } }),
        Real("amd.fallbackDt", "AMD time step of a forced acceptance", c => c.Amd.FallbackDt, (c, v) => c with { Amd = c.Amd with { FallbackDt = v } }),
        Real("amd.monitorFraction", "AMD monitors convergence once (tau-t)/tau <= this", c => c.Amd.MonitorFraction, (c, v) => c with { Amd = c.Amd with { MonitorFraction = v } }),
        Int("amd.window", "AMD convergence window (monitored losses)", 2, c => c.Amd.Window, (c, v) => c with { Amd = c.Amd with { Window = v } }),
        Real("amd.tolerance", "AMD convergence threshold on the mean loss slope", c => c.Amd.Tolerance, (c, v) => c with { Amd = c.Amd with { Tolerance = v } }),
        Enum("amd.mode", "AMD acceptance: batch (reference: one t and dt shared by the batch) or per-sample (each image its own)", c => c.Amd.Mode, (c, v) => c with { Amd = c.Amd with { Mode = v } }),
        Enum("amd.kernel", "AMD trial evaluation: auto (native on CPU, torch on GPU), torch (ops + autograd) or native (host SIMD kernel; same algorithm, different float rounding); runs.csv records the kernel that ran", c => c.Amd.Kernel, (c, v) => c with { Amd = c.Amd with { Kernel = v } })
            with { OmittedFromKeyAt = "torch" },
        Real("amd.perSampleToleranceScale", "per-sample AMD: an image converges when |its loss slope| < amd.tolerance x this (1 = the original rule)", c => c.Amd.PerSampleToleranceScale, (c, v) => c with { Amd = c.Amd with { PerSampleToleranceScale = v } })
            with { OmittedFromKeyAt = "1" },
        Int("epochs", "passes over the training images, each in a fresh seeded order", 1, c => c.Epochs, (c, v) => c with { Epochs = v }),
        Int("evalEvery", "evaluate the test loss every this many training images; 0 = off", 0, c => c.EvalEvery, (c, v) => c with { EvalEvery = v }),
        Int("evalSize", "test images per curve evaluation (the first ones)", 1, c => c.EvalSize, (c, v) => c with { EvalSize = v }),
        Int("reconstructions", "return reconstructions of the first K test images; 0 = none", 0, c => c.Reconstructions, (c, v) => c with { Reconstructions = v }),
        Int("checkpointEvery", "checkpoint every this many batches (with a checkpoint store); 0 = off", 0, c => c.CheckpointEvery, (c, v) => c with { CheckpointEvery = v }),
        Enum("gradient", "decoder gradient: approximate (z* constant) or adjoint (exact, through the flow)", c => c.Gradient, (c, v) => c with { Gradient = v }),
        Int("flow.points", "RK4 flow grid points N (N - 1 steps)", 2, c => c.Flow.Points, (c, v) => c with { Flow = c.Flow with { Points = v } }),
        Enum("flow.grid", "RK4 flow grid: linear with alpha = 1 (reference) or log with alpha = exp(-2t/tau) (paper)", c => c.Flow.Grid, (c, v) => c with { Flow = c.Flow with { Grid = v } }),
        Real("flow.logBase", "base b of the log grid (greater than 1)", c => c.Flow.LogBase, (c, v) => c with { Flow = c.Flow with { LogBase = v } }),
        Real("flow.tau", "RK4 flow horizon tau", c => c.Flow.Tau, (c, v) => c with { Flow = c.Flow with { Tau = v } }),
        Real("flow.nesterovEps", "eps of the Nesterov friction 3/(t + eps)", c => c.Flow.NesterovEps, (c, v) => c with { Flow = c.Flow with { NesterovEps = v } }),
        Enum("flow.z0", "latent start of the RK4 flows: zero (paper, reference) or uniform", c => c.Flow.Z0, (c, v) => c with { Flow = c.Flow with { Z0 = v } }),
        Enum("adjoint.stepper", "backward adjoint integration: rk4 on the flow grid or euler at its points", c => c.Flow.AdjointStepper, (c, v) => c with { Flow = c.Flow with { AdjointStepper = v } }),
        Real("simulateSeconds", "simulate: seconds to sleep", c => c.SimulateSeconds, (c, v) => c with { SimulateSeconds = v }),
        Bool("simulateFailure", "simulate: fail instead of finishing", c => c.SimulateFailure, (c, v) => c with { SimulateFailure = v }),
        Enum("runsOn", "where the run may train: any (GPU silos first, else CPU) or gpu (only a GPU silo; it waits for one)", c => c.RunsOn, (c, v) => c with { RunsOn = v })
            with { OmittedFromKeyAt = "any" },
        // The model (ModelShape; the output width is the data's). Left at the paper's model they are not in the key.
        Checked("latentDim", "width of the latent code z", c => c.LatentDim.ToString(Invariant),
                (c, v) => c with { LatentDim = WholeNumber("latentDim", v) }, c => ModelSettings.LatentProblem(c.LatentDim))
            with { OmittedFromKeyAt = "20" },
        Checked("hidden", "the decoder's hidden widths from latent to output, a list; the AE's encoder mirrors them", c => ListText(c.Hidden),
                (c, v) => c with { Hidden = WholeNumbers("hidden", v) }, c => ModelSettings.HiddenProblem(c.Hidden))
            with { OmittedFromKeyAt = "[150, 300, 600]", IsList = true },
        Enum("activation", "nonlinearity between layers: elu (paper), relu, tanh or silu", c => c.Activation, (c, v) => c with { Activation = v })
            with { OmittedFromKeyAt = "elu" },
        Enum("loss", "reconstruction loss: bce (paper: per-feature eps-BCE on logits, data in [0,1]) or mse (mean squared error on a linear output, real-valued data)", c => c.Loss, (c, v) => c with { Loss = v })
            with { OmittedFromKeyAt = "bce" },
        // The flows' kernel (docs/engine.md, "Flows on the native kernel"): as amd.kernel, auto is in the key and torch,
        // what computed every flow run before the setting existed, is not; runs of other methods never read it.
        Enum("flow.kernel", "RK4 and Nesterov flow evaluation: auto (native on CPU, torch on GPU), torch or native (host SIMD kernel; different float rounding); runs.csv records the kernel that ran", c => c.Flow.Kernel, (c, v) => c with { Flow = c.Flow with { Kernel = v } })
            with { OmittedFromKeyAt = "torch", OmittedFromKeyWhen = c => c.Method is not (RunMethod.GfeRk4 or RunMethod.GfeNesterov) },
        // Your own data (docs/data.md).
        Bool("latents", "also keep the test set's latent codes, per-sample test losses and labels (latents/<key>.npy)", c => c.Latents, (c, v) => c with { Latents = v })
            with { OmittedFromKeyAt = "false" },
        // GFE-amd's exact adjoint on the native kernel (docs/engine.md, "GFE-amd with the adjoint"): as flow.kernel, auto is
        // in the key and torch, what computed every gfe-amd adjoint run before the setting existed, is not; runs that
        // have no AMD adjoint (other methods, the approximate gradient) never read it.
        Enum("adjoint.kernel", "GFE-amd's exact adjoint (gradient: adjoint): what runs its gradients and R-passes: auto (native on CPU, torch on GPU), torch or native (host SIMD kernel; different float rounding), whatever amd.kernel says; the flows' adjoints follow flow.kernel", c => c.Flow.AdjointKernel, (c, v) => c with { Flow = c.Flow with { AdjointKernel = v } })
            with { OmittedFromKeyAt = "torch", OmittedFromKeyWhen = c => c.Method != RunMethod.GfeAmd || c.Gradient != GradientMode.Adjoint },
    ];

    /// <summary>The settings that name a run (<see cref="RunKey"/>): every setting except those at their
    /// <see cref="RunParameter.OmittedFromKeyAt"/> value, i.e. settings added after run keys were first handed out and
    /// left at their default, so that existing runs keep their keys and their stored results, and those that the run's
    /// method does not read (<see cref="RunParameter.OmittedFromKeyWhen"/>).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ToKeyList(RunConfig config) =>
        All.Where(p => p.OmittedFromKeyWhen?.Invoke(config) != true)
            .Select(p => (p.Name, Value: p.Format(config), p.OmittedFromKeyAt))
            .Where(p => p.Value != p.OmittedFromKeyAt)
            .Select(p => KeyValuePair.Create(p.Name, p.Value))
            .ToList();

    static readonly Dictionary<string, RunParameter> ByName =
        All.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The parameter of that name (case-insensitive), or null.</summary>
    public static RunParameter? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>Applies one named setting; throws <see cref="RunConfigException"/> naming the key on a bad name or value.</summary>
    public static RunConfig Apply(RunConfig config, string name, string value)
    {
        var parameter = Find(name) ?? throw new RunConfigException(name,
            $"unknown setting '{name}'; known settings: {string.Join(", ", All.Select(p => p.Name))}");
        return parameter.Parse(config, value.Trim());
    }

    /// <summary>Builds a config from defaults plus the given settings.</summary>
    public static RunConfig FromDictionary(IEnumerable<KeyValuePair<string, string>> settings) =>
        settings.Aggregate(new RunConfig(), (config, kv) => Apply(config, kv.Key, kv.Value));

    /// <summary>Every setting of the config as canonical text, in table order.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ToList(RunConfig config) =>
        All.Select(p => new KeyValuePair<string, string>(p.Name, p.Format(config))).ToList();

    /// <summary>The canonical text of a method name, e.g. GfeAmd -> gfe-amd.</summary>
    public static string MethodName(RunMethod method) => EnumText(method);

    static RunParameter Text(string name, string description, Func<RunConfig, string> get, Func<RunConfig, string, RunConfig> set) =>
        new(name, description, get, (c, v) => v.Length > 0 ? set(c, v) : throw new RunConfigException(name, $"'{name}' must not be empty"));

    static RunParameter Int(string name, string description, int min, Func<RunConfig, int> get, Func<RunConfig, int, RunConfig> set) =>
        new(name, description, c => get(c).ToString(Invariant), (c, v) =>
        {
            if (!int.TryParse(v, NumberStyles.Integer, Invariant, out var n))
                throw new RunConfigException(name, $"'{name}' must be a whole number, not '{v}'");
            if (n < min)
                throw new RunConfigException(name, $"'{name}' must be at least {min}, not {n}");
            return set(c, n);
        }) { Kind = SettingKind.Integer };

    static RunParameter Real(string name, string description, Func<RunConfig, double> get, Func<RunConfig, double, RunConfig> set) =>
        new(name, description, c => get(c).ToString("R", Invariant), (c, v) =>
        {
            if (!double.TryParse(v, NumberStyles.Float, Invariant, out var x) || !double.IsFinite(x))
                throw new RunConfigException(name, $"'{name}' must be a finite number, not '{v}'");
            if (x <= 0)
                throw new RunConfigException(name, $"'{name}' must be positive, not {v}");
            return set(c, x);
        }) { Kind = SettingKind.Real };

    /// <summary>A setting whose value is read by <paramref name="read"/> and then checked by <paramref name="problem"/>
    /// (the check that the engine runs too, <see cref="ModelSettings"/>).</summary>
    static RunParameter Checked(string name, string description, Func<RunConfig, string> format,
        Func<RunConfig, string, RunConfig> read, Func<RunConfig, string?> problem) =>
        new(name, description, format, (c, v) =>
        {
            var config = read(c, v);
            return problem(config) is { } message ? throw new RunConfigException(name, message) : config;
        });

    /// <summary>A whole number, also written as 1e3 or 64.0; a width beyond int is refused here, a merely huge one by
    /// the memory check.</summary>
    static int WholeNumber(string name, string text)
    {
        if (!double.TryParse(text, NumberStyles.Float, Invariant, out var x) || !double.IsFinite(x) || x != Math.Floor(x))
            throw new RunConfigException(name, $"'{name}' must be a whole number, not '{text}'");
        if (x > int.MaxValue || x < int.MinValue)
            throw new RunConfigException(name, $"'{name}' value {text} is far too large");
        return (int)x;
    }

    /// <summary>A list of whole numbers: [64, 32], 64, 32 or 64 (one width).</summary>
    static IReadOnlyList<int> WholeNumbers(string name, string text)
    {
        var inner = text.Trim();
        if (inner.StartsWith('[') != inner.EndsWith(']'))
            throw new RunConfigException(name, $"'{name}' must be a list of whole numbers such as [64, 32], not '{text}'");
        if (inner.StartsWith('[')) inner = inner[1..^1].Trim();
        if (inner.Length == 0) return [];
        return inner.Split(',').Select(item => WholeNumber(name, item.Trim())).ToArray();
    }

    /// <summary>The canonical text of a list setting: [150, 300, 600].</summary>
    public static string ListText(IEnumerable<int> values) =>
        "[" + string.Join(", ", values.Select(v => v.ToString(Invariant))) + "]";

    static RunParameter Bool(string name, string description, Func<RunConfig, bool> get, Func<RunConfig, bool, RunConfig> set) =>
        new(name, description, c => get(c) ? "true" : "false", (c, v) =>
            bool.TryParse(v, out var b) ? set(c, b) : throw new RunConfigException(name, $"'{name}' must be true or false, not '{v}'"))
        { Kind = SettingKind.Boolean };

    static RunParameter Enum<T>(string name, string description, Func<RunConfig, T> get, Func<RunConfig, T, RunConfig> set)
        where T : struct, System.Enum =>
        new(name, description, c => EnumText(get(c)), (c, v) =>
        {
            var match = System.Enum.GetValues<T>().Where(e => EnumText(e) == v.ToLowerInvariant()).ToList();
            if (match.Count == 0)
                throw new RunConfigException(name,
                    $"'{name}' must be one of {string.Join(", ", System.Enum.GetValues<T>().Select(EnumText))}, not '{v}'");
            return set(c, match[0]);
        }) { Kind = SettingKind.Enum };

    /// <summary>GfeAmd -> gfe-amd: enum names in sweep files are lower-case with dashes between words.</summary>
    static string EnumText<T>(T value) where T : struct, System.Enum
    {
        var name = value.ToString();
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i])) text.Append('-');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }
}
