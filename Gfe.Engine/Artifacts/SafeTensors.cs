using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gfe.Engine.Artifacts;

/// <summary>A named float32 tensor: its shape and its values in C order.</summary>
public sealed record NamedTensor(string Name, int[] Shape, float[] Values);

/// <summary>
/// The safetensors format (Hugging Face), which PyTorch, JAX and numpy read with the <c>safetensors</c> package: an
/// 8-byte little-endian header length n, n bytes of JSON mapping each tensor's name to its dtype, shape and
/// [begin, end) byte offsets into the data that follows (plus an optional <c>__metadata__</c> map of strings), then the
/// raw little-endian tensors back to back. Only F32 is written and read here: the engine's weights are float32.
/// </summary>
public static class SafeTensors
{
    public static void Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        long offset = 0;
        foreach (var tensor in tensors)
        {
            long bytes = tensor.Values.LongLength * 4;
            if (tensor.Shape.Aggregate(1L, (n, d) => n * d) != tensor.Values.LongLength)
                throw new ArgumentException($"tensor {tensor.Name}: shape [{string.Join(", ", tensor.Shape)}] does not match {tensor.Values.Length} values");
            header[tensor.Name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes)),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // The format lets readers align the data: pad the header with spaces to a multiple of 8 bytes.
        int padded = (json.Length + 7) / 8 * 8;
        var temporary = path + ".tmp";
        using (var file = File.Create(temporary))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            file.Write(length);
            file.Write(json);
            for (int i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
            var buffer = new byte[1 << 16];
            foreach (var tensor in tensors)
            {
                for (long start = 0; start < tensor.Values.LongLength; start += buffer.Length / 4)
                {
                    int count = (int)Math.Min(buffer.Length / 4, tensor.Values.LongLength - start);
                    for (int i = 0; i < count; i++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * i), tensor.Values[start + i]);
                    file.Write(buffer, 0, 4 * count);
                }
            }
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads every tensor (F32 only) and the metadata map.</summary>
    public static (IReadOnlyList<NamedTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: too short for safetensors");
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (length > (ulong)(bytes.Length - 8)) throw new InvalidDataException($"{path}: header length {length} exceeds the file");
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)length))!.AsObject();
        int dataStart = 8 + (int)length;
        var tensors = new List<NamedTensor>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) metadata[k] = v!.GetValue<string>();
                continue;
            }
            var dtype = node!["dtype"]!.GetValue<string>();
            if (dtype != "F32") throw new InvalidDataException($"{path}: tensor {name} is {dtype}; only F32 is read");
            var shape = node["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
            var offsets = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var values = new float[(offsets[1] - offsets[0]) / 4];
            for (int i = 0; i < values.Length; i++)
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + (int)offsets[0] + 4 * i));
            tensors.Add(new NamedTensor(name, shape, values));
        }
        return (tensors, metadata);
    }
}
