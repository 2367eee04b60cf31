using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Gfe.Engine.Artifacts;
using Gfe.Engine.Models;
using Gfe.Tests.Data;
using TorchSharp;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>The safetensors files trained models are kept in: the layout other tools read, and the names PyTorch's
/// nn.Sequential expects.</summary>
public sealed class SafeTensorsTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void File_HasTheSafetensorsLayout_AndRoundTrips()
    {
        var a = new NamedTensor("0.weight", [2, 3], [1, 2, 3, 4, 5, -6.5f]);
        var b = new NamedTensor("0.bias", [2], [0.25f, float.Epsilon]);
        SafeTensors.Write(temp.File("m.safetensors"), [a, b], new Dictionary<string, string> { ["runKey"] = "k" });

        var bytes = File.ReadAllBytes(temp.File("m.safetensors"));
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n));
        var weight = header.RootElement.GetProperty("0.weight");
        Assert.Equal("F32", weight.GetProperty("dtype").GetString());
        Assert.Equal([2, 3], weight.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([0L, 24L], weight.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([24L, 32L], header.RootElement.GetProperty("0.bias").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("k", header.RootElement.GetProperty("__metadata__").GetProperty("runKey").GetString());
        Assert.Equal(8 + n + 32, bytes.Length);
        Assert.Equal(-6.5f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(8 + n + 20))));

        var (tensors, metadata) = SafeTensors.Read(temp.File("m.safetensors"));
        Assert.Equal("k", metadata["runKey"]);
        Assert.Equal(a.Values, tensors[0].Values);
        Assert.Equal(b.Values, tensors[1].Values);
        Assert.Equal(a.Shape, tensors[0].Shape);
    }

    [Fact]
    public void Decoder_IsCapturedUnderSequentialNames_WithItsExactWeights()
    {
        using var generator = new torch.Generator(3, torch.CPU);
        using var decoder = new Gfe.Engine.Models.Decoder(generator);

        var model = TrainedModel.Capture(decoder);

        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "6.weight", "6.bias"], model.Decoder.Select(t => t.Name));
        Assert.Equal([20, 150, 300, 600, 784], TrainedModel.Widths(model.Decoder));
        Assert.Equal(decoder.Layers[3].weight!.data<float>().ToArray(), model.Decoder[6].Values);
        Assert.Equal([784, 600], model.Decoder[6].Shape);
        Assert.Equal(decoder.Shape.DecoderParameters, model.Decoder.Sum(t => (long)t.Values.Length));
    }
}
