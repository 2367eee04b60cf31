using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gfe.Engine.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gfe.Engine.Kernels;

/// <summary>
/// A decoder's latent-side work for the AMD solver, on the host in float32 without torch, for any
/// <see cref="ModelShape"/>: for a batch of latents z [n, latent] against data x [n, D], the forward D(z) (affine
/// layers with the shape's activation between them), the per-sample loss l_i (BCE on sigmoid(y) or MSE on y, each the
/// mean over the D features) and, on demand, grad_z l_i by the backward to the input only; for the flows' exact
/// adjoints also Pearlmutter's R-pass (<see cref="RPass"/>: H v and d/dtheta [v . grad_z L]) on the same packed weights.
/// </summary>
/// <remarks>
/// During a solve the decoder's weights are constant, so <see cref="Load(Decoder)"/> packs them once per solve
/// (<see cref="PanelGemm.Pack"/>), straight from the tensors' bytes, in two layouts: transposed [in, out] for the
/// forward and as stored [out, in] for the backward, so both are the same product of <see cref="PanelGemm"/>. Hidden
/// widths are padded to 16 floats (zero weights there), and the batch to the micro-kernel's row block with zero
/// latents; buffers grow with the largest batch seen and are reused, so a trial allocates nothing. The gradient comes
/// from the activations of the latest <see cref="Forward"/>, like the torch solver's reused probe. Every sum runs in one
/// fixed order (<see cref="PanelGemm"/>, <see cref="VectorMath.Sum{T}"/>) and the element-wise maths is one generic
/// code for every <see cref="SimdPath"/>: a CPU run repeats bit for bit and gives the same bits on every path. The
/// rounding differs from torch's GEMMs (about 1e-6 relative), which is why the kernel is a named setting.
/// </remarks>
public sealed class DecoderKernel
{
    readonly SimdPath path;
    ModelShape? shape;
    int layers;
    int[] widths = [], padded = [];
    PackedPanels[] forwardWeights = [];    // layer l: W_l^T [in_l, out_l] with its bias
    PackedPanels[] backwardWeights = [];   // layer l: W_l [out_l, in_l], as torch stores it
    float[][] activations = [];       // 0: z; 1..L-1: activation outputs; L: the decoder output y
    float[][] preActivations = [];    // SiLU only: the hidden layers' inputs to the activation, for its derivative
    float[][] deltas = [];            // dL/d(activation l): 0 = grad z, L = dL/dy
    float[] terms = [];               // one sample's loss terms, padded with zeros
    // The R-pass's (RPass) own state, allocated on its first use: AMD never pays for it.
    PackedPanels[] forwardLinear = [];   // layer l: W_l^T without its bias (R{u} = R{h} W^T), sharing forwardWeights' data
    float[][] rActivations = [];      // R{h_l}: 0 = v; 1..L-1: hidden layers; L: R{y}
    float[][] rPreActivations = [];   // R{u_l} of the hidden layers
    float[][] rDeltas = [];           // R{dL/d(activation l)}: 0 = H v, L = R{dl/dy}
    float[] rLosses = [], transposed = [], stacked = [], product = [];
    int rCapacity;
    readonly int rowBlock;
    int capacity, rows, blockRows;
    bool forwarded;

    /// <param name="path">The instruction set to run on; null: <see cref="SimdPaths.Default"/> (the fastest, or
    /// GFE_SIMD). A path this CPU cannot run is an <see cref="ArgumentException"/>.</param>
    public DecoderKernel(SimdPath? path = null)
    {
        this.path = path ?? SimdPaths.Default;
        if (!SimdPaths.CanRun(this.path))
            throw new ArgumentException($"this CPU cannot run the {SimdPaths.Name(this.path)} path", nameof(path));
        rowBlock = PanelGemm.RowBlock(this.path);
    }

    /// <summary>The instruction set this kernel runs on.</summary>
    public SimdPath Path => path;

    /// <summary>The model of the latest <see cref="Load(Decoder)"/>, or null before the first.</summary>
    public ModelShape? Shape => shape;

    static int Pad(int width) => (width + PanelGemm.Lanes - 1) / PanelGemm.Lanes * PanelGemm.Lanes;

    /// <summary>Packs the decoder's current weights; call once per solve (they change with every training step).</summary>
    public void Load(Decoder decoder) => Load(decoder.Shape, decoder.Layers);

    /// <summary>Packs the weights of <paramref name="linears"/>, the affine layers of a decoder of <paramref name="model"/>, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // once per solve, from the first solve on
    public void Load(ModelShape model, IReadOnlyList<Linear> linears)
    {
        if (linears.Count != model.LayerCount)
            throw new ArgumentException($"a {string.Join("-", model.Widths)} decoder has {model.LayerCount} layers, not {linears.Count}", nameof(linears));
        if (!model.Equals(shape)) Allocate(model);
        for (int l = 0; l < layers; l++)
        {
            int fanIn = widths[l], fanOut = widths[l + 1];
            using var weightTensor = linears[l].weight!.detach().to(CPU).contiguous();
            using var biasTensor = linears[l].bias!.detach().to(CPU).contiguous();
            if (weightTensor.shape.Length != 2 || weightTensor.shape[0] != fanOut || weightTensor.shape[1] != fanIn ||
                weightTensor.dtype != ScalarType.Float32 || biasTensor.numel() != fanOut || biasTensor.dtype != ScalarType.Float32)
                throw new ArgumentException($"decoder layer {l + 1} must be float32 weight [{fanOut}, {fanIn}] and bias [{fanOut}], not {weightTensor.dtype} [{string.Join(", ", weightTensor.shape)}]", nameof(linears));
            // The raw bytes of the contiguous CPU tensors (data<float>() goes element by element), packed in one pass each.
            var weight = MemoryMarshal.Cast<byte, float>(weightTensor.bytes);
            var bias = MemoryMarshal.Cast<byte, float>(biasTensor.bytes);
            forwardWeights[l] = PanelGemm.Pack(weight, 1, fanIn, fanIn, fanOut, bias, path, forwardWeights[l]);
            backwardWeights[l] = PanelGemm.Pack(weight, fanIn, 1, fanOut, fanIn, ReadOnlySpan<float>.Empty, path, backwardWeights[l]);
            forwardLinear[l] = PanelGemm.WithoutBias(forwardWeights[l], forwardLinear[l]);
        }
        forwarded = false;
    }

    void Allocate(ModelShape model)
    {
        shape = model;
        widths = model.Widths.ToArray();
        layers = model.LayerCount;
        padded = widths.Select(Pad).ToArray();
        // Filled by Load; later loads of the same model repack into the same memory.
        forwardWeights = new PackedPanels[layers];
        backwardWeights = new PackedPanels[layers];
        forwardLinear = new PackedPanels[layers];
        rActivations = new float[layers + 1][];
        rPreActivations = new float[layers + 1][];
        rDeltas = new float[layers + 1][];
        rCapacity = 0;
        terms = new float[padded[layers]];
        activations = new float[layers + 1][];
        preActivations = new float[layers + 1][];
        deltas = new float[layers + 1][];
        capacity = 0;
    }

    /// <summary>
    /// Forwards <paramref name="rowCount"/> latents (row-major [n, latent]) against their data ([n, D]) and writes each
    /// sample's loss l_i. Keeps what <see cref="Gradient"/> needs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first call: no tier-0 code
    public void Forward(ReadOnlySpan<float> z, ReadOnlySpan<float> data, int rowCount, Span<float> losses)
    {
        if (shape is null) throw new InvalidOperationException("DecoderKernel.Load(decoder) must run before Forward");
        if (rowCount < 1) throw new ArgumentException($"the decoder kernel needs at least one latent, not {rowCount}", nameof(rowCount));
        int latent = widths[0], output = widths[layers];
        if (z.Length < (long)rowCount * latent) throw new ArgumentException($"z holds {z.Length} floats, fewer than {rowCount} x {latent}", nameof(z));
        if (data.Length < (long)rowCount * output) throw new ArgumentException($"data hold {data.Length} floats, fewer than {rowCount} x {output}", nameof(data));
        if (losses.Length < rowCount) throw new ArgumentException($"losses hold {losses.Length} floats, fewer than {rowCount}", nameof(losses));
        for (int i = 0; i < rowCount * latent; i++)
            if (!float.IsFinite(z[i]))
                throw new ArgumentException($"latent row {i / latent} is not finite ({z[i]}); the AMD flow diverged", nameof(z));

        Reserve(rowCount);
        rows = rowCount;
        blockRows = (rowCount + rowBlock - 1) / rowBlock * rowBlock;
        // The latent rows go in at the padded stride, spare rows and columns zero.
        var input = activations[0];
        input.AsSpan(0, blockRows * padded[0]).Clear();
        for (int r = 0; r < rowCount; r++)
            z.Slice(r * latent, latent).CopyTo(input.AsSpan(r * padded[0], latent));

        var activation = shape.Activation;
        for (int l = 0; l < layers; l++)
        {
            PanelGemm.Multiply(activations[l], padded[l], blockRows, forwardWeights[l], activations[l + 1], padded[l + 1]);
            if (l == layers - 1) break;
            var hidden = activations[l + 1].AsSpan(0, blockRows * padded[l + 1]);
            if (activation == Activation.Silu) hidden.CopyTo(preActivations[l + 1]);
            Activate(activation, hidden);
        }

        var y = activations[layers];
        var outputDelta = deltas[layers];
        int stride = padded[layers];
        float scale = 1f / output;
        for (int r = 0; r < rowCount; r++)
            losses[r] = LossRow(shape.Loss, y.AsSpan(r * stride, output), data.Slice(r * output, output), outputDelta.AsSpan(r * stride, output), scale);
        // The spare rows carry zero into the backward, so they stay finite and out of the way.
        outputDelta.AsSpan(rowCount * stride, (blockRows - rowCount) * stride).Clear();
        forwarded = true;
    }

    /// <summary>
    /// grad_z l_i [n, latent] at the latest forward's latents (the backward to the input only; no weight gradients) and
    /// each row's squared norm.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first call: no tier-0 code
    public void Gradient(Span<float> gradient, Span<float> normsSquared)
    {
        if (!forwarded || shape is null) throw new InvalidOperationException("DecoderKernel.Gradient needs a Forward first");
        int latent = widths[0];
        if (gradient.Length < rows * latent) throw new ArgumentException($"gradient holds {gradient.Length} floats, fewer than {rows} x {latent}", nameof(gradient));
        if (normsSquared.Length < rows) throw new ArgumentException($"norms hold {normsSquared.Length} floats, fewer than {rows}", nameof(normsSquared));
        for (int l = layers - 1; l >= 0; l--)
        {
            // d(activation l) = d(pre-activation l+1) · W_l+1, then through the activation: d(pre-activation l).
            Backward(l, deltas[l + 1], deltas[l]);
            if (l > 0)
            {
                int count = blockRows * padded[l];
                Derive(shape.Activation, deltas[l].AsSpan(0, count), activations[l].AsSpan(0, count),
                    shape.Activation == Activation.Silu ? preActivations[l].AsSpan(0, count) : ReadOnlySpan<float>.Empty);
            }
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

    /// <summary>
    /// Pearlmutter's R-pass, as the torch <c>DecoderRPass</c> computes it (docs/method.md §3d): for the batch loss
    /// L = sum_i l_i at z [n, latent] against data [n, D], grad_z L and H v = R{grad_z L} in direction v [n, latent],
    /// and, if <paramref name="parameterSum"/> is given, weight * d/dtheta [v . grad_z L] added into it (one float array
    /// per decoder parameter in decoder.parameters() order: W_l row-major [out, in], then b_l). Runs its own
    /// <see cref="Forward"/> (dL/dy stays as it left it), so a later <see cref="Gradient"/> is the gradient at this z. Every sum in one fixed order, as in the rest
    /// of the kernel: the same bits on every path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void RPass(ReadOnlySpan<float> z, ReadOnlySpan<float> v, ReadOnlySpan<float> data, int rowCount,
        Span<float> gradient, Span<float> hessianVector, IReadOnlyList<float[]>? parameterSum = null, float weight = 1)
    {
        if (shape is null) throw new InvalidOperationException("DecoderKernel.Load(decoder) must run before RPass");
        if (rowCount < 1) throw new ArgumentException($"the R-pass needs at least one latent, not {rowCount}", nameof(rowCount));
        int latent = widths[0];
        if (v.Length < (long)rowCount * latent) throw new ArgumentException($"v holds {v.Length} floats, fewer than {rowCount} x {latent}", nameof(v));
        if (gradient.Length < rowCount * latent) throw new ArgumentException($"gradient holds {gradient.Length} floats, fewer than {rowCount} x {latent}", nameof(gradient));
        if (hessianVector.Length < rowCount * latent) throw new ArgumentException($"H v holds {hessianVector.Length} floats, fewer than {rowCount} x {latent}", nameof(hessianVector));
        if (parameterSum is not null)
        {
            if (parameterSum.Count != 2 * layers) throw new ArgumentException($"the parameter sum needs {2 * layers} arrays, not {parameterSum.Count}", nameof(parameterSum));
            for (int l = 0; l < layers; l++)
                if (parameterSum[2 * l].Length < widths[l + 1] * widths[l] || parameterSum[2 * l + 1].Length < widths[l + 1])
                    throw new ArgumentException($"the parameter sum of layer {l + 1} must hold [{widths[l + 1]}, {widths[l]}] and [{widths[l + 1]}]", nameof(parameterSum));
        }
        if (rLosses.Length < rowCount) rLosses = new float[rowCount];
        Forward(z, data, rowCount, rLosses);
        ReserveR();

        // R-forward: R{u_l} = R{h_l-1} W^T (no bias), R{h_l} = f'(u_l) R{u_l}, R{y} last.
        var activation = shape.Activation;
        var direction = rActivations[0];
        direction.AsSpan(0, blockRows * padded[0]).Clear();
        for (int r = 0; r < rowCount; r++)
            v.Slice(r * latent, latent).CopyTo(direction.AsSpan(r * padded[0], latent));
        bool silu = activation == Activation.Silu;
        for (int l = 0; l < layers; l++)
        {
            var into = l == layers - 1 ? rActivations[layers] : rPreActivations[l + 1];
            PanelGemm.Multiply(rActivations[l], padded[l], blockRows, forwardLinear[l], into, padded[l + 1]);
            if (l == layers - 1) break;
            int count = blockRows * padded[l + 1];
            RForward(activation, rActivations[l + 1].AsSpan(0, count), rPreActivations[l + 1].AsSpan(0, count),
                activations[l + 1].AsSpan(0, count), silu ? preActivations[l + 1].AsSpan(0, count) : ReadOnlySpan<float>.Empty);
        }

        // R{dl/dy} = d2l/dy2 R{y}, row by row as the loss itself (full registers, then the ragged tail one float at a time).
        int output = widths[layers], stride = padded[layers];
        var ry = rActivations[layers];
        var outputR = rDeltas[layers];
        ry.AsSpan(0, rowCount * stride).CopyTo(outputR);
        outputR.AsSpan(rowCount * stride, (blockRows - rowCount) * stride).Clear();
        for (int r = 0; r < rowCount; r++)
            LossCurvatureRow(shape.Loss, activations[layers].AsSpan(r * stride, output), data.Slice(r * output, output),
                outputR.AsSpan(r * stride, output), 1f / output);

        // Backward and R-backward, with the parameter part of each layer taken before its deltas move down.
        for (int l = layers - 1; l >= 0; l--)
        {
            if (parameterSum is not null) AccumulateParameters(l, rowCount, parameterSum[2 * l], parameterSum[2 * l + 1], weight);
            Backward(l, deltas[l + 1], deltas[l]);
            Backward(l, rDeltas[l + 1], rDeltas[l]);
            if (l == 0) break;
            int count = blockRows * padded[l];
            RDerive(activation, deltas[l].AsSpan(0, count), rDeltas[l].AsSpan(0, count), rPreActivations[l].AsSpan(0, count),
                activations[l].AsSpan(0, count), silu ? preActivations[l].AsSpan(0, count) : ReadOnlySpan<float>.Empty);
        }
        for (int r = 0; r < rowCount; r++)
        {
            deltas[0].AsSpan(r * padded[0], latent).CopyTo(gradient.Slice(r * latent, latent));
            rDeltas[0].AsSpan(r * padded[0], latent).CopyTo(hessianVector.Slice(r * latent, latent));
        }
    }

    /// <summary>
    /// into = from · W_l, the backward through layer l (from [rows, out_l], into [rows, in_l]). At a batch of up to 16
    /// rows on AVX-512 it runs on the forward's panels (<see cref="PanelGemm.MultiplyTransposed"/>), so a trial reads
    /// one copy of the weights instead of two; otherwise on the backward's own panels. Same bits either way.
    /// </summary>
    void Backward(int l, float[] from, float[] into)
    {
        if (PanelGemm.TransposedFits(path, blockRows, widths[l]))
            PanelGemm.MultiplyTransposed(from, padded[l + 1], blockRows, forwardWeights[l], into, padded[l]);
        else
            PanelGemm.Multiply(from, padded[l + 1], blockRows, backwardWeights[l], into, padded[l]);
    }

    /// <summary>
    /// Layer l's part of d/dtheta [v . grad_z L]: R{dL/dW} = R{delta}^T h + delta^T R{h}, as one product over the
    /// stacked batch [R{delta} delta]^T [h; R{h}] (the torch pass's single GEMM), and R{dL/db} = sum over rows of R{delta}.
    /// </summary>
    void AccumulateParameters(int l, int rowCount, float[] weightSum, float[] biasSum, float weight)
    {
        int fanIn = widths[l], fanOut = widths[l + 1], inStride = padded[l], outStride = padded[l + 1], depth = 2 * rowCount;
        Grow(ref transposed, fanOut * depth);
        Grow(ref stacked, depth * inStride);
        Grow(ref product, fanOut * inStride);
        var delta = deltas[l + 1];
        var rdelta = rDeltas[l + 1];
        for (int r = 0; r < rowCount; r++)
            for (int o = 0; o < fanOut; o++)
            {
                transposed[o * depth + r] = rdelta[r * outStride + o];
                transposed[o * depth + rowCount + r] = delta[r * outStride + o];
            }
        activations[l].AsSpan(0, rowCount * inStride).CopyTo(stacked);
        rActivations[l].AsSpan(0, rowCount * inStride).CopyTo(stacked.AsSpan(rowCount * inStride));
        PanelGemm.Multiply(transposed, depth, stacked, inStride, fanOut, depth, inStride, ReadOnlySpan<float>.Empty, product, inStride, path);
        for (int o = 0; o < fanOut; o++)
        {
            AddScaledRow(weightSum.AsSpan(o * fanIn, fanIn), product.AsSpan(o * inStride, fanIn), weight);
            float bias = 0;
            for (int r = 0; r < rowCount; r++) bias += rdelta[r * outStride + o];
            biasSum[o] += weight * bias;
        }
    }

    void AddScaledRow(Span<float> into, ReadOnlySpan<float> values, float weight)
    {
        int count = into.Length;
        switch (path)
        {
            case SimdPath.Avx512: AddScaledRow<Lanes512>(into, values, weight, count); break;
            case SimdPath.Avx2: AddScaledRow<Lanes256>(into, values, weight, count); break;
            case SimdPath.Vector128: AddScaledRow<Lanes128>(into, values, weight, count); break;
            default: AddScaledRow<Lane1>(into, values, weight, count); break;
        }
    }

    static void AddScaledRow<T>(Span<float> into, ReadOnlySpan<float> values, float weight, int count) where T : struct, ILanes<T>
    {
        int whole = count / T.Count * T.Count;
        VectorMath.AddScaled<T>(into, values, weight, 0, whole);
        VectorMath.AddScaled<Lane1>(into, values, weight, whole, count);
    }

    static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
    }

    void ReserveR()
    {
        if (rCapacity >= capacity) return;
        rCapacity = capacity;
        for (int l = 0; l <= layers; l++)
        {
            rActivations[l] = new float[capacity * padded[l]];
            rDeltas[l] = new float[capacity * padded[l]];
            if (l > 0 && l < layers) rPreActivations[l] = new float[capacity * padded[l]];
        }
    }

    void RForward(Activation activation, Span<float> rh, ReadOnlySpan<float> ra, ReadOnlySpan<float> output, ReadOnlySpan<float> preActivation)
    {
        switch (path)
        {
            case SimdPath.Avx512: VectorMath.RForward<Lanes512>(activation, rh, ra, output, preActivation); break;
            case SimdPath.Avx2: VectorMath.RForward<Lanes256>(activation, rh, ra, output, preActivation); break;
            case SimdPath.Vector128: VectorMath.RForward<Lanes128>(activation, rh, ra, output, preActivation); break;
            default: VectorMath.RForward<Lane1>(activation, rh, ra, output, preActivation); break;
        }
    }

    void RDerive(Activation activation, Span<float> delta, Span<float> rdelta, ReadOnlySpan<float> ra, ReadOnlySpan<float> output,
        ReadOnlySpan<float> preActivation)
    {
        switch (path)
        {
            case SimdPath.Avx512: VectorMath.RDerive<Lanes512>(activation, delta, rdelta, ra, output, preActivation); break;
            case SimdPath.Avx2: VectorMath.RDerive<Lanes256>(activation, delta, rdelta, ra, output, preActivation); break;
            case SimdPath.Vector128: VectorMath.RDerive<Lanes128>(activation, delta, rdelta, ra, output, preActivation); break;
            default: VectorMath.RDerive<Lane1>(activation, delta, rdelta, ra, output, preActivation); break;
        }
    }

    void LossCurvatureRow(LossKind loss, ReadOnlySpan<float> y, ReadOnlySpan<float> x, Span<float> rdelta, float scale)
    {
        int count = y.Length;
        switch (path)
        {
            case SimdPath.Avx512: LossCurvatureRow<Lanes512>(loss, y, x, rdelta, scale, count); break;
            case SimdPath.Avx2: LossCurvatureRow<Lanes256>(loss, y, x, rdelta, scale, count); break;
            case SimdPath.Vector128: LossCurvatureRow<Lanes128>(loss, y, x, rdelta, scale, count); break;
            default: LossCurvatureRow<Lane1>(loss, y, x, rdelta, scale, count); break;
        }
    }

    static void LossCurvatureRow<T>(LossKind loss, ReadOnlySpan<float> y, ReadOnlySpan<float> x, Span<float> rdelta, float scale, int count)
        where T : struct, ILanes<T>
    {
        int whole = count / T.Count * T.Count;
        VectorMath.LossCurvature<T>(loss, y, x, rdelta, 0, whole, scale);
        VectorMath.LossCurvature<Lane1>(loss, y, x, rdelta, whole, count, scale);
    }

    void Reserve(int rowCount)
    {
        int need = (rowCount + rowBlock - 1) / rowBlock * rowBlock;
        if (need <= capacity) return;
        // Grow with headroom so a slowly growing caller does not reallocate every call.
        capacity = Math.Max(need, capacity * 3 / 2);
        for (int l = 0; l <= layers; l++)
        {
            activations[l] = new float[capacity * padded[l]];
            deltas[l] = new float[capacity * padded[l]];
            if (shape!.Activation == Activation.Silu && l > 0 && l < layers) preActivations[l] = new float[capacity * padded[l]];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first call: no tier-0 code
    void Activate(Activation activation, Span<float> values)
    {
        switch (path)
        {
            case SimdPath.Avx512: VectorMath.Activate<Lanes512>(activation, values); break;
            case SimdPath.Avx2: VectorMath.Activate<Lanes256>(activation, values); break;
            case SimdPath.Vector128: VectorMath.Activate<Lanes128>(activation, values); break;
            default: VectorMath.Activate<Lane1>(activation, values); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first call: no tier-0 code
    void Derive(Activation activation, Span<float> delta, ReadOnlySpan<float> output, ReadOnlySpan<float> preActivation)
    {
        switch (path)
        {
            case SimdPath.Avx512: VectorMath.Derive<Lanes512>(activation, delta, output, preActivation); break;
            case SimdPath.Avx2: VectorMath.Derive<Lanes256>(activation, delta, output, preActivation); break;
            case SimdPath.Vector128: VectorMath.Derive<Lanes128>(activation, delta, output, preActivation); break;
            default: VectorMath.Derive<Lane1>(activation, delta, output, preActivation); break;
        }
    }

    /// <summary>One sample's loss l = (1/D) sum of its terms and dl/dy (<see cref="VectorMath.LossTerms{T}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first call: no tier-0 code
    float LossRow(LossKind loss, ReadOnlySpan<float> y, ReadOnlySpan<float> x, Span<float> delta, float scale)
    {
        int count = y.Length;
        switch (path)
        {
            case SimdPath.Avx512: return LossRow<Lanes512>(loss, y, x, delta, scale, count);
            case SimdPath.Avx2: return LossRow<Lanes256>(loss, y, x, delta, scale, count);
            case SimdPath.Vector128: return LossRow<Lanes128>(loss, y, x, delta, scale, count);
            default: return LossRow<Lane1>(loss, y, x, delta, scale, count);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot from the first call: no tier-0 code
    float LossRow<T>(LossKind loss, ReadOnlySpan<float> y, ReadOnlySpan<float> x, Span<float> delta, float scale, int count)
        where T : struct, ILanes<T>
    {
        int whole = count / T.Count * T.Count;
        VectorMath.LossTerms<T>(loss, y, x, terms, delta, 0, whole, scale);
        // The ragged tail runs the same maths one float at a time: the same bits as a full register would give.
        VectorMath.LossTerms<Lane1>(loss, y, x, terms, delta, whole, count, scale);
        return VectorMath.Sum<T>(terms) * scale;
    }
}
