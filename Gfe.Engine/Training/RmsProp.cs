using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// RMSprop, the reference's optimiser (docs/method.md §4): per parameter, v ← αv + (1−α)g² and θ ← θ − lr·g / (√v + ε),
/// without momentum or centring. It runs the same tensor operations in the same order as TorchSharp's
/// <c>torch.optim.RMSProp</c>, so the numbers are the same; it is the project's own because TorchSharp's passes α, 1−α,
/// ε and −lr as temporary Scalars, which the garbage collector may free while the native operation still reads them
/// (docs/platform-notes.md). Here they live as long as the optimiser.
/// </summary>
public sealed class RmsProp : IDisposable
{
    /// <summary>Marks a saved state as this class's, so that a checkpoint from another format is never misread.</summary>
    const string StateFormat = "gfe-rmsprop-1";

    readonly TorchSharp.Modules.Parameter[] parameters;
    readonly Tensor[] squareAverages;
    readonly Scalar alpha, oneMinusAlpha, epsilon, negativeLearningRate, one;

    public RmsProp(IEnumerable<TorchSharp.Modules.Parameter> parameters, double learningRate, double alpha, double epsilon)
    {
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "the learning rate must be 0 or more");
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must lie in [0, 1]");
        if (!(epsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be 0 or more");
        this.parameters = parameters.ToArray();
        squareAverages = this.parameters.Select(p => torch.zeros_like(p).DetachFromDisposeScope()).ToArray();
        this.alpha = alpha.ToScalar();
        oneMinusAlpha = (1 - alpha).ToScalar();
        this.epsilon = epsilon.ToScalar();
        negativeLearningRate = (-learningRate).ToScalar();
        one = 1.0.ToScalar();
    }

    /// <summary>Updates taken so far.</summary>
    public long Steps { get; private set; }

    public void ZeroGrad()
    {
        foreach (var parameter in parameters)
            using (var gradient = parameter.grad)
                gradient?.zero_();
    }

    /// <summary>One update from the gradients in the parameters' .grad; parameters without a gradient are left alone.</summary>
    public void Step()
    {
        using var noGrad = torch.no_grad();
        for (int i = 0; i < parameters.Length; i++)
        {
            using var gradient = parameters[i].grad;
            if (gradient is null) continue;
            squareAverages[i].mul_(alpha).addcmul_(gradient, gradient, oneMinusAlpha);
            using var root = squareAverages[i].sqrt();
            root.add_(epsilon, one);
            parameters[i].addcdiv_(gradient, root, negativeLearningRate);
        }
        Steps++;
    }

    /// <summary>The step count and the square averages, for a checkpoint.</summary>
    public byte[] SaveState()
    {
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(StateFormat);
            writer.Write(Steps);
            writer.Write(squareAverages.Length);
            foreach (var average in squareAverages)
            {
                var values = average.to(CPU).data<float>().ToArray();
                writer.Write(values.Length);
                foreach (var value in values) writer.Write(value);
            }
        }
        return memory.ToArray();
    }

    /// <summary>Restores a state of <see cref="SaveState"/>; false (and nothing changed) when the bytes are not such a
    /// state for these parameters, e.g. a checkpoint written by an older gfe.</summary>
    public bool TryRestoreState(byte[] state)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(state));
            if (reader.ReadString() != StateFormat) return false;
            long steps = reader.ReadInt64();
            if (reader.ReadInt32() != squareAverages.Length) return false;
            var restored = new float[squareAverages.Length][];
            for (int i = 0; i < squareAverages.Length; i++)
            {
                int count = reader.ReadInt32();
                if (count != squareAverages[i].numel()) return false;
                restored[i] = new float[count];
                for (int k = 0; k < count; k++) restored[i][k] = reader.ReadSingle();
            }
            using var noGrad = torch.no_grad();
            for (int i = 0; i < squareAverages.Length; i++)
                using (var values = torch.tensor(restored[i], squareAverages[i].shape))
                    squareAverages[i].copy_(values);
            Steps = steps;
            return true;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        foreach (var average in squareAverages) average.Dispose();
        foreach (var scalar in new[] { alpha, oneMinusAlpha, epsilon, negativeLearningRate, one }) scalar.Dispose();
    }
}
