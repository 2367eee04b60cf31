using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using static TorchSharp.torch;

namespace Gfe.Engine.Kernels;

/// <summary>
/// The decoder's latent-side work for the AMD solver, on the host in float32 without torch: for a batch of latents
/// z [n, 20] against images x [n, 784], the forward D(z) (four affine layers, ELU between), the per-image loss l_i of
/// engine-spec §2 (the sigmoid + eps form, pixel mean) and, on demand, grad_z l_i by the backward to the input only.
/// </summary>
/// <remarks>
/// During a solve the decoder's weights are constant, so <see cref="Load"/> snapshots them once per solve, in two
/// layouts: transposed [in, out] for the forward and as stored [out, in] for the backward, so both are the same
/// row-major product of <see cref="PanelGemm"/>. Widths are padded to 16 floats with zero weights, and the batch to a
/// multiple of 4 rows with zero latents; buffers grow with the largest batch seen and are reused, so a trial
/// allocates nothing. The gradient comes from the activations of the latest <see cref="Forward"/>, like the torch
/// solver's reused probe. The sums run in a fixed order: a CPU run repeats bit for bit. The rounding differs from
/// torch's GEMMs (about 1e-6 relative), which is why the kernel is a named setting.
/// </remarks>
public sealed class DecoderKernel
{
    /// <summary>Layer widths: latent, three hidden, image.</summary>
    static readonly int[] Widths = [Decoder.LatentSize, 150, 300, 600, Decoder.ImageSize];
    const int Layers = 4;
    const float Epsilon = (float)ReconstructionLoss.Epsilon;

    readonly bool simd;
    readonly int[] padded = Widths.Select(Pad).ToArray();
    readonly float[][] forwardWeights = new float[Layers][];   // layer l: [in_l, padded out_l], transposed
    readonly float[][] backwardWeights = new float[Layers][];  // layer l: [out_l, padded in_l], as torch stores it
    readonly float[][] biases = new float[Layers][];           // layer l: [padded out_l]
    readonly float[][] activations = new float[Layers + 1][];  // 0: z; 1-3: ELU outputs; 4: logits
    readonly float[][] deltas = new float[Layers + 1][];       // dL/d(activation l): 0 = grad z, 4 = dL/dlogits
    readonly float[] stored = new float[Widths[Layers - 1] * Widths[Layers]];   // one layer's weight as torch lays it out
    int capacity, rows, blockRows;
    bool loaded, forwarded;

    /// <param name="simd">Use the AVX-512 paths where the CPU has them (default); false forces the scalar loops.</param>
    public DecoderKernel(bool simd = true)
    {
        this.simd = simd && PanelGemm.Accelerated;
        for (int l = 0; l < Layers; l++)
        {
            forwardWeights[l] = new float[Widths[l] * padded[l + 1]];
            backwardWeights[l] = new float[Widths[l + 1] * padded[l]];
            biases[l] = new float[padded[l + 1]];
        }
    }

    /// <summary>Whether the vector paths run (AVX-512 present and not switched off).</summary>
    public bool Vectorised => simd;

    static int Pad(int width) => (width + PanelGemm.Lanes - 1) / PanelGemm.Lanes * PanelGemm.Lanes;

    /// <summary>Copies the decoder's current weights; call once per solve (they change with every training step).</summary>
    public void Load(Decoder decoder)
    {
        var layers = decoder.Layers;
        for (int l = 0; l < Layers; l++)
        {
            int fanIn = Widths[l], fanOut = Widths[l + 1];
            using var weightTensor = layers[l].weight!.detach().to(CPU).contiguous();
            using var biasTensor = layers[l].bias!.detach().to(CPU).contiguous();
            if (weightTensor.shape.Length != 2 || weightTensor.shape[0] != fanOut || weightTensor.shape[1] != fanIn ||
                weightTensor.dtype != ScalarType.Float32)
                throw new ArgumentException($"decoder layer {l + 1} weight must be float32 [{fanOut}, {fanIn}], not {weightTensor.dtype} [{string.Join(", ", weightTensor.shape)}]", nameof(decoder));
            weightTensor.data<float>().CopyTo(stored);
            var weight = stored;
            var bias = biasTensor.data<float>().ToArray();
            var forward = forwardWeights[l];
            var backward = backwardWeights[l];
            for (int o = 0; o < fanOut; o++)
            {
                biases[l][o] = bias[o];
                for (int i = 0; i < fanIn; i++)
                {
                    float w = weight[o * fanIn + i];
                    forward[i * padded[l + 1] + o] = w;
                    backward[o * padded[l] + i] = w;
                }
            }
        }
        loaded = true;
        forwarded = false;
    }

    /// <summary>
    /// Forwards <paramref name="rowCount"/> latents (row-major [n, 20]) against their images ([n, 784], values in
    /// [0, 1]) and writes each image's loss l_i. Keeps what <see cref="Gradient"/> needs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first call: no tier-0 code
    public void Forward(ReadOnlySpan<float> z, ReadOnlySpan<float> images, int rowCount, Span<float> losses)
    {
        if (!loaded) throw new InvalidOperationException("DecoderKernel.Load(decoder) must run before Forward");
        if (rowCount < 1) throw new ArgumentException($"the decoder kernel needs at least one latent, not {rowCount}", nameof(rowCount));
        int latent = Widths[0], image = Widths[Layers];
        if (z.Length < rowCount * latent) throw new ArgumentException($"z holds {z.Length} floats, fewer than {rowCount} x {latent}", nameof(z));
        if (images.Length < rowCount * image) throw new ArgumentException($"images hold {images.Length} floats, fewer than {rowCount} x {image}", nameof(images));
        if (losses.Length < rowCount) throw new ArgumentException($"losses hold {losses.Length} floats, fewer than {rowCount}", nameof(losses));
        for (int i = 0; i < rowCount * latent; i++)
            if (!float.IsFinite(z[i]))
                throw new ArgumentException($"latent row {i / latent} is not finite ({z[i]}); the AMD flow diverged", nameof(z));

        Reserve(rowCount);
        rows = rowCount;
        blockRows = (rowCount + PanelGemm.RowBlock - 1) / PanelGemm.RowBlock * PanelGemm.RowBlock;
        // The latent rows go in at the padded stride of the backward's output (32), spare rows zero.
        var input = activations[0];
        input.AsSpan(0, blockRows * padded[0]).Clear();
        for (int r = 0; r < rowCount; r++)
            z.Slice(r * latent, latent).CopyTo(input.AsSpan(r * padded[0], latent));

        for (int l = 0; l < Layers; l++)
        {
            PanelGemm.Multiply(activations[l], padded[l], forwardWeights[l], padded[l + 1], blockRows, Widths[l], padded[l + 1],
                biases[l], activations[l + 1], padded[l + 1], simd);
            if (l < Layers - 1) Elu(activations[l + 1].AsSpan(0, blockRows * padded[l + 1]));
        }
        var logits = activations[Layers];
        var outputDelta = deltas[Layers];
        for (int r = 0; r < rowCount; r++)
            losses[r] = LossRow(logits.AsSpan(r * image, image), images.Slice(r * image, image), outputDelta.AsSpan(r * image, image));
        // The spare rows carry zero into the backward, so they stay finite and out of the way.
        outputDelta.AsSpan(rowCount * image, (blockRows - rowCount) * image).Clear();
        forwarded = true;
    }

    /// <summary>
    /// grad_z l_i [n, 20] at the latest forward's latents (the backward to the input only; no weight gradients) and
    /// each row's squared norm.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first call: no tier-0 code
    public void Gradient(Span<float> gradient, Span<float> normsSquared)
    {
        if (!forwarded) throw new InvalidOperationException("DecoderKernel.Gradient needs a Forward first");
        int latent = Widths[0];
        if (gradient.Length < rows * latent) throw new ArgumentException($"gradient holds {gradient.Length} floats, fewer than {rows} x {latent}", nameof(gradient));
        if (normsSquared.Length < rows) throw new ArgumentException($"norms hold {normsSquared.Length} floats, fewer than {rows}", nameof(normsSquared));
        for (int l = Layers - 1; l >= 0; l--)
        {
            // d(activation l) = d(pre-activation l+1) · W_l+1, then through ELU: d(pre-activation l).
            PanelGemm.Multiply(deltas[l + 1], padded[l + 1], backwardWeights[l], padded[l], blockRows, Widths[l + 1], padded[l],
                ReadOnlySpan<float>.Empty, deltas[l], padded[l], simd);
            if (l > 0) EluBackward(deltas[l].AsSpan(0, blockRows * padded[l]), activations[l].AsSpan(0, blockRows * padded[l]));
        }
        var dz = deltas[0];
        for (int r = 0; r < rows; r++)
        {
            float norm = 0;
            for (int j = 0; j < latent; j++)
            {
                float g = dz[r * padded[0] + j];
                gradient[r * latent + j] = g;
                norm += g * g;
            }
            normsSquared[r] = norm;
        }
    }

    void Reserve(int rowCount)
    {
        int need = (rowCount + PanelGemm.RowBlock - 1) / PanelGemm.RowBlock * PanelGemm.RowBlock;
        if (need <= capacity) return;
        // Grow with headroom so a slowly growing caller does not reallocate every call.
        capacity = Math.Max(need, capacity * 3 / 2);
        activations[0] = new float[capacity * padded[0]];
        for (int l = 0; l <= Layers; l++)
        {
            if (l > 0) activations[l] = new float[capacity * padded[l]];
            deltas[l] = new float[capacity * padded[l]];
        }
    }

    /// <summary>ELU with alpha 1 in place: u for u &gt; 0, exp(u) - 1 otherwise (zero padding stays zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first call: no tier-0 code
    void Elu(Span<float> values)
    {
        int i = 0;
        if (simd)
        {
            ref float start = ref MemoryMarshal.GetReference(values);
            for (; i + PanelGemm.Lanes <= values.Length; i += PanelGemm.Lanes)
            {
                var u = Vector512.LoadUnsafe(ref start, (nuint)i);
                var negative = Exponentials.Exp(Vector512.Min(u, Vector512<float>.Zero)) - Vector512<float>.One;
                Vector512.ConditionalSelect(Vector512.GreaterThan(u, Vector512<float>.Zero), u, negative).StoreUnsafe(ref start, (nuint)i);
            }
        }
        for (; i < values.Length; i++)
            if (!(values[i] > 0)) values[i] = MathF.Exp(values[i]) - 1;
    }

    /// <summary>
    /// Multiplies each delta by ELU'(u) in place, from the ELU output h: 1 where h &gt; 0 (u &gt; 0), else exp(u) = h + 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first call: no tier-0 code
    void EluBackward(Span<float> delta, ReadOnlySpan<float> output)
    {
        int i = 0;
        if (simd)
        {
            ref float d = ref MemoryMarshal.GetReference(delta);
            ref float h = ref MemoryMarshal.GetReference(output);
            for (; i + PanelGemm.Lanes <= delta.Length; i += PanelGemm.Lanes)
            {
                var hv = Vector512.LoadUnsafe(ref h, (nuint)i);
                var slope = Vector512.ConditionalSelect(Vector512.GreaterThan(hv, Vector512<float>.Zero), Vector512<float>.One, hv + Vector512<float>.One);
                (Vector512.LoadUnsafe(ref d, (nuint)i) * slope).StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < delta.Length; i++)
            if (!(output[i] > 0)) delta[i] *= output[i] + 1;
    }

    /// <summary>
    /// One image's loss l = mean_p -[x ln(p + eps) + (1 - x) ln(1 - p + eps)], p = sigmoid(y), and its derivative
    /// dl/dy_p = p(1 - p)[(1 - x)/(1 - p + eps) - x/(p + eps)] / 784 (engine-spec §2), in float32 like the reference.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first call: no tier-0 code
    float LossRow(ReadOnlySpan<float> logits, ReadOnlySpan<float> x, Span<float> delta)
    {
        int count = logits.Length;
        float scale = 1f / count;
        float sum = 0;
        int i = 0;
        if (simd)
        {
            ref float y0 = ref MemoryMarshal.GetReference(logits);
            ref float x0 = ref MemoryMarshal.GetReference(x);
            ref float d0 = ref MemoryMarshal.GetReference(delta);
            var one = Vector512<float>.One;
            var eps = Vector512.Create(Epsilon);
            var total = Vector512<float>.Zero;
            for (; i + PanelGemm.Lanes <= count; i += PanelGemm.Lanes)
            {
                var y = Vector512.LoadUnsafe(ref y0, (nuint)i);
                var xv = Vector512.LoadUnsafe(ref x0, (nuint)i);
                var p = one / (one + Exponentials.Exp(-y));
                var notP = one - p;
                var notX = one - xv;
                total -= xv * Exponentials.Log(p + eps) + notX * Exponentials.Log(notP + eps);
                (p * notP * (notX / (notP + eps) - xv / (p + eps)) * Vector512.Create(scale)).StoreUnsafe(ref d0, (nuint)i);
            }
            sum = Vector512.Sum(total);
        }
        for (; i < count; i++)
        {
            float p = 1f / (1f + MathF.Exp(-logits[i]));
            float notP = 1f - p, notX = 1f - x[i];
            sum -= x[i] * MathF.Log(p + Epsilon) + notX * MathF.Log(notP + Epsilon);
            delta[i] = p * notP * (notX / (notP + Epsilon) - x[i] / (p + Epsilon)) * scale;
        }
        return sum * scale;
    }
}
