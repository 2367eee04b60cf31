using System.Security.Cryptography;
using Encoding = System.Text.Encoding;
using Gfe.Engine;
using Gfe.Engine.Data;
using Gfe.Engine.Flows;
using Gfe.Engine.Kernels;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>
/// The RK4 and Nesterov flows on the host decoder kernel (flow.kernel = native) against the torch flows: the same grid,
/// right-hand side and steps, so the same trajectory to float rounding; every SIMD path gives the scalar path's bits;
/// the setting's place in run keys and in what a run records.
/// </summary>
public sealed class KernelFlowTests(ITestOutputHelper output)
{
    /// <summary>The paper's model (BCE, ELU) on synthetic images, and latent 8, hidden [64, 32], tanh, MSE on 30
    /// real-valued features.</summary>
    public static TheoryData<bool, bool> Cases => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    static readonly ModelShape Custom = new(8, [64, 32], 30, Activation.Tanh, LossKind.Mse);

    sealed class Problem : IDisposable
    {
        readonly DisposeScope scope = torch.NewDisposeScope();
        public Decoder Decoder { get; }
        public Tensor Images { get; }
        public Tensor Z0 { get; }
        public TimeGrid Grid { get; }

        public Problem(bool custom, int batch = 5)
        {
            var generator = new Generator(17, CPU);
            var shape = custom ? Custom : ModelShape.Paper;
            Decoder = new Decoder(shape, generator);
            Images = custom
                ? torch.randn(batch, shape.OutputDim, generator: generator)
                : torch.tensor(SyntheticImages.Make(batch, 8).Pixels, [batch, ImageSet.ImageSize]);
            // A uniform start, so that the rows differ from the first stage on; horizons where RK4 is stable but moves far.
            Z0 = torch.rand(batch, shape.LatentDim, generator: generator).Times(2).Minus(1);
            Grid = TimeGrid.From(custom ? new FlowOptions { Points = 21, Tau = 4 } : new FlowOptions { Points = 21, Tau = 400 });
        }

        public LatentTrajectory Torch(bool nesterov) => nesterov
            ? new NesterovFlow(Grid, 1e-5).Solve(Decoder, Images, Z0)
            : new GradientFlow(Grid).Solve(Decoder, Images, Z0);

        public LatentTrajectory Native(bool nesterov, bool keepPath, SimdPath? path = null) =>
            new KernelFlows(Grid, nesterov, 1e-5, path).Solve(Decoder, Images, Z0, keepPath);

        public void Dispose() => scope.Dispose();
    }

    /// <summary>
    /// Native and torch flows agree on z* and on every state and slope of the kept path within 1e-4 of the largest
    /// value (measured: a few 1e-6 to 1e-5; kernel and torch round their products in different orders, and the flow
    /// carries those differences along its 20 steps). The flows move z far from z0, so the test is not trivial.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Native_flow_matches_the_torch_flow(bool nesterov, bool custom)
    {
        using var problem = new Problem(custom);
        var reference = problem.Torch(nesterov);
        var path = problem.Native(nesterov, keepPath: true);
        var final = problem.Native(nesterov, keepPath: false);

        double scale = reference.States.Max(s => s.abs().max().item<float>());
        double moved = (reference.Final - problem.Z0).abs().max().item<float>();
        Assert.True(moved > 0.05 * scale, $"the flow hardly moved ({moved})");
        Assert.Equal(reference.Times, path.Times);
        Assert.Equal(reference.States.Count, path.States.Count);
        double worst = 0;
        for (int k = 0; k < reference.States.Count; k++)
        {
            worst = Math.Max(worst, (reference.States[k] - path.States[k]).abs().max().item<float>());
            double slopeScale = Math.Max(1e-12, reference.Slopes![k].abs().max().item<float>());
            worst = Math.Max(worst, scale * (reference.Slopes![k] - path.Slopes![k]).abs().max().item<float>() / slopeScale);
        }
        output.WriteLine($"nesterov {nesterov}, custom {custom}: |z*| up to {scale:G3}, moved {moved:G3}, largest difference {worst:G3}");
        Assert.True(worst <= 1e-4 * scale, $"native and torch trajectories differ by {worst} (scale {scale})");
        // z* alone is the same computation as the last state of the kept path, bit for bit.
        Assert.Single(final.States);
        Assert.Null(final.Slopes);
        Assert.True(final.Final.Equals(path.Final), "z* without the path differs from z* with it");
    }

    /// <summary>
    /// With gradient: adjoint the native solve keeps its path and the torch adjoint integrates it: the flow integral C
    /// from the native trajectory agrees with the all-torch one to float rounding (within 1e-4 of C's largest entry per
    /// parameter tensor, measured 3e-7 to 1.1e-6; the adjoint runs backwards through the same 20 steps).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void The_adjoint_from_the_native_path_matches_the_torch_adjoint(bool nesterov, bool custom)
    {
        using var problem = new Problem(custom);
        Tensor[] Integral(LatentTrajectory trajectory) => nesterov
            ? NesterovAdjoint.FlowIntegral(problem.Decoder, problem.Images, trajectory, new NesterovFlow(problem.Grid, 1e-5))
            : AdjointGradient.FlowIntegral(problem.Decoder, problem.Images, trajectory, problem.Grid.Alpha, AdjointStepper.Rk4);
        var reference = Integral(problem.Torch(nesterov));
        var native = Integral(problem.Native(nesterov, keepPath: true));

        double worst = 0;
        for (int j = 0; j < reference.Length; j++)
        {
            double scale = reference[j].abs().max().item<float>();
            Assert.True(scale > 0, $"parameter {j}: the flow integral is zero");
            worst = Math.Max(worst, (reference[j] - native[j]).abs().max().item<float>() / scale);
        }
        output.WriteLine($"nesterov {nesterov}, custom {custom}: largest relative difference of C {worst:G3}");
        Assert.True(worst <= 1e-4, $"the adjoint from the native path differs by {worst} of its scale");
    }

    /// <summary>
    /// The whole exact adjoint on the native kernel (its gradients and R-passes, <see cref="KernelAdjointPasses"/>)
    /// against the torch adjoint on the same torch trajectory: the flow integral C within 1e-4 of its scale (float32
    /// both, different summation orders carried through 20 backward steps); and every SIMD path gives the scalar bits.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void The_native_adjoint_passes_match_the_torch_adjoint_and_give_the_scalar_bits_on_every_path(bool nesterov, bool custom)
    {
        using var problem = new Problem(custom);
        var trajectory = problem.Torch(nesterov);
        Tensor[] Integral(IAdjointPasses? passes) => nesterov
            ? NesterovAdjoint.FlowIntegral(problem.Decoder, problem.Images, trajectory, new NesterovFlow(problem.Grid, 1e-5), passes)
            : AdjointGradient.FlowIntegral(problem.Decoder, problem.Images, trajectory, problem.Grid.Alpha, AdjointStepper.Rk4, passes);
        IAdjointPasses Native(SimdPath path) => AdjointPassSource.Native(path).Passes(problem.Decoder, problem.Images);
        var reference = Integral(null);
        var scalar = Integral(Native(SimdPath.Scalar));

        double worst = 0;
        for (int j = 0; j < reference.Length; j++)
        {
            double scale = reference[j].abs().max().item<float>();
            Assert.True(scale > 0, $"parameter {j}: the flow integral is zero");
            worst = Math.Max(worst, (reference[j] - scalar[j]).abs().max().item<float>() / scale);
        }
        output.WriteLine($"nesterov {nesterov}, custom {custom}: largest relative difference of C, native adjoint vs torch {worst:G3}");
        Assert.True(worst <= 1e-4, $"the native adjoint differs from the torch adjoint by {worst} of its scale");

        foreach (var path in SimdPaths.Runnable)
        {
            var other = Integral(Native(path));
            for (int j = 0; j < scalar.Length; j++)
                Assert.True(scalar[j].data<float>().ToArray().SequenceEqual(other[j].data<float>().ToArray()), $"{SimdPaths.Name(path)}: parameter {j} of C differs from scalar");
        }
    }

    /// <summary>
    /// An adjoint GFE-rk4 run trains to the same final loss on flow.kernel native (flow and adjoint on the kernel) as on
    /// torch, to float rounding, while the adjoint's correction itself moves the loss by far more than that.
    /// </summary>
    [Fact]
    public void An_adjoint_rk4_run_trains_alike_on_native_and_torch()
    {
        var data = SyntheticImages.Splits(trainCount: 16, testCount: 4);
        var config = new RunConfig
        {
            Method = RunMethod.GfeRk4, Gradient = GradientMode.Adjoint, Dataset = "synthetic", TrainSize = 8, BatchSize = 4,
            TestBatchSize = 4, Seed = 3, Epochs = 3,
            Flow = new FlowOptions { Points = 21, Tau = 400, Kernel = AmdKernel.Native },
        };
        var native = RunExecutor.Execute(config, data, null, CancellationToken.None);
        var torchRun = RunExecutor.Execute(config with { Flow = config.Flow with { Kernel = AmdKernel.Torch } }, data, null, CancellationToken.None);
        var approximate = RunExecutor.Execute(config with { Gradient = GradientMode.Approximate }, data, null, CancellationToken.None);

        double difference = Math.Abs(native.FinalTrainLoss - torchRun.FinalTrainLoss);
        double adjointEffect = Math.Abs(native.FinalTrainLoss - approximate.FinalTrainLoss);
        double testDifference = Math.Abs(native.TestLoss[Evaluations.GfeRk4] - torchRun.TestLoss[Evaluations.GfeRk4]);
        output.WriteLine($"final train loss native {native.FinalTrainLoss:G17}, torch {torchRun.FinalTrainLoss:G17}, approximate {approximate.FinalTrainLoss:G17}; test {native.TestLoss[Evaluations.GfeRk4]:G17} vs {torchRun.TestLoss[Evaluations.GfeRk4]:G17}");
        Assert.Equal("native", native.AmdKernel);
        Assert.True(difference <= 1e-4 * Math.Abs(torchRun.FinalTrainLoss), $"native and torch adjoint runs differ by {difference}");
        Assert.True(testDifference <= 1e-4 * Math.Abs(torchRun.TestLoss[Evaluations.GfeRk4]), $"native and torch test losses differ by {testDifference}");
        Assert.True(adjointEffect > 100 * difference, $"the adjoint moved the loss by {adjointEffect} only, against a kernel difference of {difference}");

        // The losses agree to float32 resolution here; the trained weights show the kernels really differ (rounding)
        // and by far less than the adjoint's correction moves them.
        static double WeightDistance(RunResult a, RunResult b) => a.Model!.Decoder.Zip(b.Model!.Decoder,
            (x, y) => x.Values.Zip(y.Values, (u, v) => Math.Abs((double)u - v)).Max()).Max();
        double kernels = WeightDistance(native, torchRun), correction = WeightDistance(native, approximate);
        output.WriteLine($"largest weight difference native vs torch {kernels:G3}, adjoint vs approximate {correction:G3}");
        Assert.True(kernels > 0, "the native run gave torch's weights bit for bit: did it run on the kernel?");
        Assert.True(kernels < 1e-2 * correction, $"native and torch weights differ by {kernels}, against the adjoint's {correction}");
    }

    /// <summary>Every SIMD path this CPU runs (all four on x64 with AVX-512) solves both flows bit for bit like the scalar path.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_simd_path_solves_the_flow_bit_for_bit_alike(bool nesterov, bool custom)
    {
        using var problem = new Problem(custom);
        var scalar = problem.Native(nesterov, keepPath: true, SimdPath.Scalar);
        foreach (var path in SimdPaths.Runnable)
        {
            var other = problem.Native(nesterov, keepPath: true, path);
            for (int k = 0; k < scalar.States.Count; k++)
            {
                Assert.True(scalar.States[k].Equals(other.States[k]), $"{SimdPaths.Name(path)}: state {k} differs from scalar");
                Assert.True(scalar.Slopes![k].Equals(other.Slopes![k]), $"{SimdPaths.Name(path)}: slope {k} differs from scalar");
            }
        }
    }

    [Fact]
    public void A_non_finite_latent_fails_the_run_with_a_clear_message_and_bad_shapes_are_refused()
    {
        using var problem = new Problem(custom: true);
        var flows = new KernelFlows(problem.Grid, false, 1e-5);
        var nan = problem.Z0.clone();
        nan[1, 2] = torch.tensor(float.NaN);
        var error = Assert.Throws<RunFailedException>(() => flows.Solve(problem.Decoder, problem.Images, nan, false));
        Assert.Contains("flow.points", error.Message);
        Assert.Throws<ArgumentException>(() => flows.Solve(problem.Decoder, problem.Images, problem.Z0[..2], false));
        Assert.Throws<ArgumentException>(() => flows.Solve(problem.Decoder, problem.Images[.., ..5], problem.Z0, false));
    }

    /// <summary>
    /// flow.kernel defaults to auto, in the key of a flow run (it computes something else than the torch flows did);
    /// torch, what every flow run computed before the setting existed, is left out, so such a run keeps its key; runs of
    /// gfe-amd and ae never read it and never have it in their key.
    /// </summary>
    [Fact]
    public void Kernel_setting_is_in_flow_keys_at_auto_and_nowhere_else()
    {
        var rk4 = new RunConfig { Method = RunMethod.GfeRk4 };
        Assert.Equal(AmdKernel.Auto, rk4.Flow.Kernel);
        Assert.Equal(AmdKernel.Native, RunParameters.Apply(rk4, "flow.kernel", "native").Flow.Kernel);
        Assert.Contains(KeyValuePair.Create("flow.kernel", "auto"), RunParameters.ToKeyList(rk4));
        Assert.DoesNotContain(RunParameters.ToKeyList(new RunConfig()), kv => kv.Key == "flow.kernel");
        Assert.Equal(RunKey.For(new RunConfig()), RunKey.For(new RunConfig { Flow = new FlowOptions { Kernel = AmdKernel.Native } }));
        Assert.Throws<RunConfigException>(() => RunParameters.Apply(rk4, "flow.kernel", "cuda"));

        // A torch flow run's key as it was computed before flow.kernel existed.
        foreach (var method in new[] { RunMethod.GfeRk4, RunMethod.GfeNesterov })
        {
            var torchFlow = new RunConfig { Method = method, Flow = new FlowOptions { Kernel = AmdKernel.Torch } };
            var canonical = string.Join("\n", RunParameters.ToKeyList(torchFlow).Select(kv => $"{kv.Key}={kv.Value}"));
            Assert.DoesNotContain("flow.kernel", canonical);
            // adjoint.kernel came later still (gfe-amd only).
            var old = string.Join("\n", RunParameters.ToList(torchFlow).Where(kv => kv.Key is not ("flow.kernel" or "adjoint.kernel") &&
                !(RunParameters.Find(kv.Key)!.OmittedFromKeyAt == kv.Value)).Select(kv => $"{kv.Key}={kv.Value}"));
            Assert.EndsWith("." + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(old)))[..10], RunKey.For(torchFlow));
            Assert.NotEqual(RunKey.For(torchFlow), RunKey.For(torchFlow with { Flow = new FlowOptions() }));
        }
    }

    /// <summary>runs.csv's amdKernelRan and simd columns say which kernel ran a flow run: native with its path, or torch.</summary>
    [Fact]
    public void A_flow_run_records_the_kernel_that_ran()
    {
        var data = SyntheticImages.Splits(trainCount: 16, testCount: 4);
        var config = new RunConfig
        {
            Method = RunMethod.GfeNesterov, Dataset = "synthetic", TrainSize = 8, BatchSize = 4, TestBatchSize = 4, Seed = 2,
            Flow = new FlowOptions { Points = 6, Tau = 100, Kernel = AmdKernel.Native },
        };
        var native = RunExecutor.Execute(config, data, null, CancellationToken.None);
        var torchRun = RunExecutor.Execute(config with { Flow = config.Flow with { Kernel = AmdKernel.Torch } }, data, null, CancellationToken.None);

        Assert.Equal(("native", SimdPaths.Name(SimdPaths.Default)), (native.AmdKernel, native.Simd));
        Assert.Equal(("torch", ""), (torchRun.AmdKernel, torchRun.Simd));
        // Same flow, different rounding: the same test loss to a few digits, not bit for bit.
        Assert.Equal(torchRun.TestLoss[Evaluations.GfeNesterov], native.TestLoss[Evaluations.GfeNesterov], 3);
    }
}
