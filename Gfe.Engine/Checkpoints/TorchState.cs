using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Checkpoints;

/// <summary>The torch parts of a <see cref="TrainingCheckpoint"/> as bytes, and back.</summary>
public static class TorchState
{
    public static byte[] Weights(nn.Module model) => Capture(writer => model.save(writer));

    public static void RestoreWeights(nn.Module model, byte[] weights) =>
        Restore(weights, reader => model.load(reader));

    public static byte[] Generator(Generator generator)
    {
        using var state = generator.get_state();
        return state.data<byte>().ToArray();
    }

    public static void RestoreGenerator(Generator generator, byte[] state)
    {
        using var tensor = torch.tensor(state);
        generator.set_state(tensor);
    }

    /// <summary>A fresh generator in the same state as <paramref name="generator"/>: draws from it do not advance the
    /// original.</summary>
    public static Generator Copy(Generator generator)
    {
        var copy = new Generator(0, generator.device);
        RestoreGenerator(copy, Generator(generator));
        return copy;
    }

    static byte[] Capture(Action<BinaryWriter> write)
    {
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, System.Text.Encoding.UTF8, leaveOpen: true))
            write(writer);
        return memory.ToArray();
    }

    static void Restore(byte[] bytes, Action<BinaryReader> read)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        read(reader);
    }
}
