using System.Globalization;
using Gfe.Engine.Models;

namespace Gfe.Engine.Runs;

/// <summary>
/// The checks of the model settings (latentDim, hidden, activation, loss), in one place: the settings table runs the
/// per-value ones when it reads a value (sweep parser, grain), and the sweep parser and the engine run
/// <see cref="Problem"/> on the whole run, which adds what needs the data's width and the batch sizes: whether the
/// model fits in memory.
/// </summary>
public static class ModelSettings
{
    /// <summary>Why this latent width cannot run, or null.</summary>
    public static string? LatentProblem(int latentDim) =>
        latentDim < 1 ? $"'latentDim' must be at least 1, not {latentDim}" : null;

    /// <summary>Why these hidden widths cannot run, or null.</summary>
    public static string? HiddenProblem(IReadOnlyList<int> hidden)
    {
        if (hidden.Count == 0) return "'hidden' must list at least one width, e.g. [150, 300, 600]";
        foreach (var width in hidden)
            if (width < 1) return $"'hidden' widths must be positive whole numbers, not {width}";
        return null;
    }

    /// <summary>
    /// Why the run's model cannot run on data of <paramref name="outputDim"/> features on a machine with
    /// <paramref name="availableBytes"/> of memory (default: this machine's), or null.
    /// </summary>
    public static string? Problem(RunConfig config, int outputDim, long? availableBytes = null)
    {
        if (LatentProblem(config.LatentDim) is { } latent) return latent;
        if (HiddenProblem(config.Hidden) is { } hidden) return hidden;
        if (!Enum.IsDefined(config.Activation)) return $"'activation' must be elu, relu, tanh or silu, not {config.Activation}";
        if (!Enum.IsDefined(config.Loss)) return $"'loss' must be bce or mse, not {config.Loss}";
        if (outputDim < 1) return $"the data must have at least one feature per sample, not {outputDim}";

        double need = EstimatedBytes(config, outputDim);
        long have = availableBytes ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (need > have)
        {
            var model = config.Model(outputDim);
            return $"the model {string.Join("-", model.Widths)} is too large for memory: it would need about {Bytes(need)} " +
                   $"({Bytes(ParameterBytes(config, outputDim))} for parameters, gradients and RMSprop state, " +
                   $"{Bytes(ActivationBytes(config, outputDim))} for activations), more than the {Bytes(have)} here; " +
                   "make 'hidden' or 'latentDim' smaller";
        }
        return null;
    }

    /// <summary>A rough lower estimate of the memory a run needs: parameters, gradients and RMSprop state, and the
    /// activations of a batch. In double: absurd widths must not overflow the estimate.</summary>
    public static double EstimatedBytes(RunConfig config, int outputDim) =>
        ParameterBytes(config, outputDim) + ActivationBytes(config, outputDim);

    // Per float32 parameter: the weight, its gradient and RMSprop's square average; an AE has the mirrored encoder too.
    static double ParameterBytes(RunConfig config, int outputDim)
    {
        var widths = Widths(config, outputDim);
        double parameters = 0;
        for (int l = 0; l + 1 < widths.Length; l++) parameters += widths[l] * widths[l + 1] + widths[l + 1];
        if (config.Method == RunMethod.Ae) parameters *= 2;
        return parameters * 3 * sizeof(float);
    }

    // Per batch row and layer: the pre-activation, the activation and their gradients (4 floats per width).
    static double ActivationBytes(RunConfig config, int outputDim)
    {
        double rows = Math.Max(config.BatchSize, config.TestBatchSize);
        return rows * Widths(config, outputDim).Sum() * 4 * sizeof(float);
    }

    static double[] Widths(RunConfig config, int outputDim) =>
        [config.LatentDim, .. config.Hidden.Select(w => (double)w), outputDim];

    /// <summary>Bytes as a person reads them: 3.2 TB, 512 MB.</summary>
    public static string Bytes(double bytes)
    {
        string[] units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
        int unit = 0;
        while (bytes >= 1000 && unit < units.Length - 1)
        {
            bytes /= 1000;
            unit++;
        }
        return unit == 0 ? $"{bytes:0} bytes" : string.Create(CultureInfo.InvariantCulture, $"{bytes:0.#} {units[unit]}");
    }
}
