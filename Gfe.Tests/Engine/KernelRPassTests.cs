using Gfe.Engine.Data;
using Gfe.Engine.Flows;
using Gfe.Engine.Kernels;
using Gfe.Engine.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>
/// The native R-pass (<see cref="DecoderKernel.RPass"/>): against the torch <see cref="DecoderRPass"/> it reproduces
/// (grad_z L, H v and the parameter part, float32 both), against central finite differences of the latent gradient in
/// float64, and every SIMD path bit for bit against the scalar one.
/// </summary>
public class KernelRPassTests
{
    public static TheoryData<string> Shapes => KernelTestShapes.Names;

    static ModelShape ShapeNamed(string name) => KernelTestShapes.Named(name);

    const int Batch = 5;   // not a multiple of any path's row block: the edge rows are exercised too

    /// <summary>A decoder of the shape (weights sharpened so the pass is far from linear), data, z and a direction v.</summary>
    sealed class Problem : IDisposable
    {
        public ModelShape Shape { get; }
        public Decoder Decoder { get; }
        public float[] Data { get; }
        public float[] Z { get; }
        public float[] V { get; }

        public Problem(ModelShape shape, int seed = 7)
        {
            Shape = shape;
            using var generator = new Generator((ulong)seed, CPU);
            Decoder = new Decoder(shape, generator);
            using (torch.no_grad())
                foreach (var p in Decoder.parameters()) p.mul_(2);
            var random = new Random(seed);
            Z = Enumerable.Range(0, Batch * shape.LatentDim).Select(_ => (float)(random.NextDouble() * 3 - 1.5)).ToArray();
            V = Enumerable.Range(0, Batch * shape.LatentDim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            Data = shape == ModelShape.Paper
                ? SyntheticImages.Make(Batch, seed).Pixels
                : Enumerable.Range(0, Batch * shape.OutputDim).Select(_ => shape.Loss == LossKind.Bce
                    ? (float)random.NextDouble() : (float)(random.NextDouble() * 3 - 1.5)).ToArray();
        }

        public void Dispose() => Decoder.Dispose();

        public float[][] ZeroSums() => Decoder.parameters().Select(p => new float[p.numel()]).ToArray();

        public (float[] Gradient, float[] HessianVector, float[][] Sums) Kernel(SimdPath path, float weight = 0.7f)
        {
            var kernel = new DecoderKernel(path);
            kernel.Load(Decoder);
            var gradient = new float[Z.Length];
            var hv = new float[Z.Length];
            var sums = ZeroSums();
            kernel.RPass(Z, V, Data, Batch, gradient, hv, sums, weight);
            return (gradient, hv, sums);
        }
    }

    static double MaxAbs(IEnumerable<float> values) => values.Max(x => Math.Abs((double)x));

    static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        double scale = MaxAbs(expected);
        Assert.True(scale > 1e-7, $"{what} should not vanish");
        double error = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
        Assert.True(error <= tolerance * scale, $"{what}: off by {error:g3}, {error / scale:g3} of its scale {scale:g3} (allowed {tolerance:g1})");
    }

    /// <summary>Tolerance relative to each output's largest element, against torch and against the double reference:
    /// the kernel runs float32 in its own summation order (and its own exp/ln); measured at most 1.3e-6 over these
    /// models, so 2e-5 leaves a margin of 15 and still fails a wrong sign or term by orders of magnitude.</summary>
    const double Tolerance = 2e-5;

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Native_R_pass_matches_the_torch_R_pass(string name)
    {
        using var scope = torch.NewDisposeScope();
        using var problem = new Problem(ShapeNamed(name));
        var native = problem.Kernel(SimdPaths.Default);

        var sums = problem.Decoder.parameters().Select(p => torch.zeros_like(p, requires_grad: false)).ToArray();
        var pass = DecoderRPass.Run(problem.Decoder, torch.tensor(problem.Data, [Batch, problem.Shape.OutputDim]),
            torch.tensor(problem.Z, [Batch, problem.Shape.LatentDim]), torch.tensor(problem.V, [Batch, problem.Shape.LatentDim]), sums, 0.7);

        AssertClose(pass.Gradient.data<float>().ToArray(), native.Gradient, Tolerance, "grad_z L");
        AssertClose(pass.HessianVector.data<float>().ToArray(), native.HessianVector, Tolerance, "H v");
        for (int j = 0; j < sums.Length; j++)
            AssertClose(sums[j].data<float>().ToArray(), native.Sums[j], Tolerance, $"parameter tensor {j}");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Native_H_v_matches_central_finite_differences_of_the_gradient_in_double(string name)
    {
        using var scope = torch.NewDisposeScope();
        using var problem = new Problem(ShapeNamed(name));
        var native = problem.Kernel(SimdPath.Scalar);

        // The same float weights in double; grad_z L by autograd there, differenced along v.
        problem.Decoder.to(ScalarType.Float64);
        var x = torch.tensor(problem.Data, [Batch, problem.Shape.OutputDim]).to(ScalarType.Float64);
        var z = torch.tensor(problem.Z, [Batch, problem.Shape.LatentDim]).to(ScalarType.Float64);
        var v = torch.tensor(problem.V, [Batch, problem.Shape.LatentDim]).to(ScalarType.Float64);
        const double h = 1e-5;
        var numeric = (LatentGradient.Of(problem.Decoder, x, z + v * h) - LatentGradient.Of(problem.Decoder, x, z - v * h)) / (2 * h);
        var gradient = LatentGradient.Of(problem.Decoder, x, z);

        AssertClose(gradient.to(ScalarType.Float32).data<float>().ToArray(), native.Gradient, Tolerance, "grad_z L against double autograd");
        AssertClose(numeric.to(ScalarType.Float32).data<float>().ToArray(), native.HessianVector, Tolerance, "H v against finite differences");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_SIMD_path_gives_the_scalar_bits(string name)
    {
        using var problem = new Problem(ShapeNamed(name));
        var scalar = problem.Kernel(SimdPath.Scalar);
        Assert.Contains(SimdPath.Scalar, SimdPaths.Runnable);
        foreach (var path in SimdPaths.Runnable)
        {
            var other = problem.Kernel(path);
            Assert.True(scalar.Gradient.SequenceEqual(other.Gradient), $"{SimdPaths.Name(path)}: grad_z L differs from scalar");
            Assert.True(scalar.HessianVector.SequenceEqual(other.HessianVector), $"{SimdPaths.Name(path)}: H v differs from scalar");
            for (int j = 0; j < scalar.Sums.Length; j++)
                Assert.True(scalar.Sums[j].SequenceEqual(other.Sums[j]), $"{SimdPaths.Name(path)}: parameter tensor {j} differs from scalar");
        }
        // Repeats bit for bit, and a pass adds into the sums rather than overwriting them.
        var again = problem.Kernel(SimdPath.Scalar);
        Assert.True(scalar.HessianVector.SequenceEqual(again.HessianVector));
        var kernel = new DecoderKernel(SimdPath.Scalar);
        kernel.Load(problem.Decoder);
        var sums = problem.ZeroSums();
        var g = new float[problem.Z.Length];
        var hv = new float[problem.Z.Length];
        kernel.RPass(problem.Z, problem.V, problem.Data, Batch, g, hv, sums, 0.7f);
        kernel.RPass(problem.Z, problem.V, problem.Data, Batch, g, hv, sums, 0.7f);
        for (int j = 0; j < sums.Length; j++)
            for (int i = 0; i < sums[j].Length; i++)
                Assert.Equal(scalar.Sums[j][i] + scalar.Sums[j][i], sums[j][i]);
    }
}
