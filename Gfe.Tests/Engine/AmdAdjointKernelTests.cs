using Gfe.Engine.Data;
using Gfe.Engine.Flows;
using Gfe.Engine.Kernels;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using Gfe.Engine.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>
/// GFE-amd's exact adjoint with its gradients and R-passes on the native kernel (adjoint.kernel native) against the
/// torch passes (adjoint.kernel torch, what every GFE-amd adjoint run computed before the setting), batch-coupled and
/// per-sample; the setting's place in run keys; training on both.
/// </summary>
public sealed class AmdAdjointKernelTests(ITestOutputHelper output)
{
    public static TheoryData<string, AmdMode> Cases => new()
    {
        { "paper", AmdMode.Batch }, { "paper", AmdMode.PerSample }, { "tanh-mse", AmdMode.Batch }, { "tanh-mse", AmdMode.PerSample },
    };

    /// <summary>A decoder, a few images (synthetic digits for the paper's BCE model, real-valued features for the MSE
    /// one), z0 and an AMD solver: the path AMD takes is the same whichever passes integrate the adjoint.</summary>
    sealed class Problem : IDisposable
    {
        readonly DisposeScope scope = torch.NewDisposeScope();
        public Decoder Decoder { get; }
        public Tensor Images { get; }
        public Tensor Z0 { get; }
        public AmdSolver Solver { get; }
        public AmdStatistics Solve { get; private set; } = AmdStatistics.None;

        public Problem(string shapeName, AmdMode mode, int count = 3)
        {
            var shape = KernelTestShapes.Named(shapeName);
            var generator = new Generator(11, CPU);
            Decoder = new Decoder(shape, generator);
            // Sharpened weights: a landscape where AMD rejects trials and the images go their own ways in per-sample mode.
            using (torch.no_grad())
                foreach (var p in Decoder.parameters()) p.mul_(2);
            Images = shape == ModelShape.Paper
                ? torch.tensor(SyntheticImages.Make(count, 6).Pixels, [count, ImageSet.ImageSize])
                : torch.randn(count, shape.OutputDim, generator: generator);
            Z0 = LatentStart.Draw(LatentInit.Uniform, count, shape.LatentDim, generator, CPU);
            Solver = new AmdSolver(new AmdOptions { Tau = 1000, Mode = mode, Kernel = AmdKernel.Native });
        }

        /// <summary>The batch loss's parameter gradient: the exact adjoint through <paramref name="source"/>'s passes,
        /// or (null) the approximate gradient at the same z*.</summary>
        public Tensor[] Gradient(AdjointPassSource? source)
        {
            Decoder.zero_grad();
            var tally = new AmdTally();
            if (source is null)
            {
                var latent = Solver.Solve(Decoder, Images, Z0).Latent;
                ReconstructionLoss.BatchSum(Decoder.Shape.Loss, Decoder.forward(latent), Images).backward();
            }
            else
            {
                AmdAdjoint.Loss(Decoder, Solver, Images, Z0, tally, AdjointStepper.Rk4, source).backward();
                Solve = tally.Total;
            }
            return Decoder.parameters().Select(p => p.grad!.detach().clone()).ToArray();
        }

        public void Dispose() => scope.Dispose();
    }

    static double LargestRelativeDifference(Tensor[] reference, Tensor[] other) =>
        reference.Zip(other, (r, o) => (r - o).abs().max().item<float>() / Math.Max(1e-30, r.abs().max().item<float>())).Max();

    /// <summary>
    /// The whole parameter gradient of a GFE-amd batch (AMD's path, the adjoint integrated backwards over its accepted
    /// points by RK4, the correction riding the ordinary backward) agrees between the native and the torch passes within
    /// 1e-4 of each tensor's largest entry (float32 both, different summation orders carried back along the path),
    /// while the adjoint's correction (exact minus approximate gradient) is far larger than that; and every SIMD path
    /// gives the scalar path's bits.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void The_native_amd_adjoint_matches_the_torch_one_and_gives_the_scalar_bits_on_every_path(string shape, AmdMode mode)
    {
        using var problem = new Problem(shape, mode);
        var torchGradient = problem.Gradient(AdjointPassSource.Torch);
        var scalar = problem.Gradient(AdjointPassSource.Native(SimdPath.Scalar));
        var approximate = problem.Gradient(null);

        double difference = LargestRelativeDifference(torchGradient, scalar);
        double correction = LargestRelativeDifference(torchGradient, approximate);
        output.WriteLine($"{shape} {mode}: {problem.Solve.AcceptedSteps} accepted steps, {problem.Solve.RejectedTrials} rejected trials; native vs torch {difference:G3} of the gradient's scale; the adjoint's correction {correction:G3}");
        Assert.True(difference <= 1e-4, $"the native AMD adjoint differs from the torch one by {difference} of its scale");
        Assert.True(correction > 100 * Math.Max(difference, 1e-6), $"the adjoint's correction ({correction}) hardly shows against the kernel difference ({difference})");

        foreach (var path in SimdPaths.Runnable)
        {
            var other = problem.Gradient(AdjointPassSource.Native(path));
            for (int j = 0; j < scalar.Length; j++)
                Assert.True(scalar[j].Equals(other[j]), $"{SimdPaths.Name(path)}: parameter {j}'s gradient differs from scalar");
        }
    }

    /// <summary>
    /// adjoint.kernel is in the key of a gfe-amd adjoint run at auto (the default; on a CPU it computes the R-passes
    /// natively, which rounds differently) and left out at torch, so such a run keeps the key it had before the setting
    /// existed; runs without an AMD adjoint never have it in their key. The keys are pinned: computed by the engine
    /// before adjoint.kernel existed.
    /// </summary>
    [Fact]
    public void Adjoint_kernel_is_in_amd_adjoint_keys_at_auto_and_torch_keeps_the_old_keys()
    {
        var adjoint = new RunConfig { Gradient = GradientMode.Adjoint };
        Assert.Equal(AmdKernel.Auto, adjoint.Flow.AdjointKernel);
        Assert.Equal(AmdKernel.Native, RunParameters.Apply(adjoint, "adjoint.kernel", "native").Flow.AdjointKernel);
        Assert.Contains(KeyValuePair.Create("adjoint.kernel", "auto"), RunParameters.ToKeyList(adjoint));
        Assert.Contains(KeyValuePair.Create("adjoint.kernel", "native"),
            RunParameters.ToKeyList(RunParameters.Apply(adjoint, "adjoint.kernel", "native")));
        var error = Assert.Throws<RunConfigException>(() => RunParameters.Apply(adjoint, "adjoint.kernel", "gpu"));
        Assert.Equal("'adjoint.kernel' must be one of torch, native, auto, not 'gpu'", error.Message);

        static RunConfig Torch(RunConfig config) => config with { Flow = config.Flow with { AdjointKernel = AmdKernel.Torch } };
        // Old keys (engine of commit ae4a1f1, before adjoint.kernel): amd.kernel auto (the default), torch, and per-sample.
        Assert.Equal("gfe-amd.mnist.n480.s0.fb9c4972de", RunKey.For(Torch(adjoint)));
        Assert.Equal("gfe-amd.mnist.n480.s0.2bfa838bb5", RunKey.For(Torch(adjoint with { Amd = new AmdOptions { Kernel = AmdKernel.Torch } })));
        Assert.Equal("gfe-amd.mnist.n480.s0.07aedbd701", RunKey.For(Torch(adjoint with { Amd = new AmdOptions { Kernel = AmdKernel.Auto, Mode = AmdMode.PerSample } })));
        Assert.NotEqual(RunKey.For(Torch(adjoint)), RunKey.For(adjoint));

        // Nothing else reads it: every value gives the key without it.
        foreach (var config in new[]
                 {
                     new RunConfig(), new RunConfig { Method = RunMethod.Ae, Gradient = GradientMode.Adjoint },
                     new RunConfig { Method = RunMethod.GfeRk4, Gradient = GradientMode.Adjoint },
                     new RunConfig { Method = RunMethod.GfeNesterov, Gradient = GradientMode.Adjoint },
                 })
            foreach (var kernel in new[] { AmdKernel.Auto, AmdKernel.Native })
            {
                var other = config with { Flow = config.Flow with { AdjointKernel = kernel } };
                Assert.DoesNotContain(RunParameters.ToKeyList(other), kv => kv.Key == "adjoint.kernel");
                Assert.Equal(RunKey.For(Torch(config)), RunKey.For(other));
            }
        Assert.Equal("gfe-amd.mnist.n480.s0.2e5f812e1d", RunKey.For(new RunConfig { Amd = new AmdOptions { Kernel = AmdKernel.Torch } }));
    }

    /// <summary>
    /// adjoint.kernel: torch gives an old GFE-amd adjoint run's bits: these losses were computed by the engine before
    /// adjoint.kernel existed (commit ae4a1f1), with AMD on torch and on the native kernel (the latter is what an
    /// amd.kernel: auto run computed on a CPU), batch-coupled and per-sample. The same run with the native passes trains
    /// other weights (the pins can tell the two apart).
    /// </summary>
    [Theory]
    [InlineData(AmdKernel.Torch, AmdMode.Batch, 0.30787524580955505, 0.3068747818470001)]
    [InlineData(AmdKernel.Native, AmdMode.Batch, 0.3078749060630798, 0.30687466263771057)]
    [InlineData(AmdKernel.Native, AmdMode.PerSample, 0.30787543654441835, 0.3068750500679016)]
    public void An_adjoint_run_on_the_torch_passes_keeps_its_losses_bit_for_bit(AmdKernel amdKernel, AmdMode mode, double testLoss, double trainLoss)
    {
        var config = PinConfig(amdKernel, mode, AmdKernel.Torch);
        var result = RunExecutor.Execute(config, PinData, null, CancellationToken.None);
        var native = RunExecutor.Execute(config with { Flow = new FlowOptions { AdjointKernel = AmdKernel.Native } }, PinData, null, CancellationToken.None);
        output.WriteLine($"{amdKernel} {mode}: test {result.TestLoss[Evaluations.GfeAmd]:R}, final train {result.FinalTrainLoss:R}; " +
                         $"native passes: test {native.TestLoss[Evaluations.GfeAmd]:R}, final train {native.FinalTrainLoss:R}");
        Assert.Equal(testLoss, result.TestLoss[Evaluations.GfeAmd]);
        Assert.Equal(trainLoss, result.FinalTrainLoss);
        bool sameWeights = result.Model!.Decoder.Zip(native.Model!.Decoder, (a, b) => a.Values.SequenceEqual(b.Values)).All(same => same);
        Assert.False(sameWeights, "the native passes trained torch's weights bit for bit: did they run?");
    }

    static readonly DatasetSplits PinData = SyntheticImages.Splits(trainCount: 24, testCount: 5);

    static RunConfig PinConfig(AmdKernel amdKernel, AmdMode mode, AmdKernel adjointKernel) => new()
    {
        Method = RunMethod.GfeAmd, Gradient = GradientMode.Adjoint, Dataset = "synthetic", TrainSize = 16, BatchSize = 4,
        Epochs = 2, LearningRate = 2e-3, TestBatchSize = 3, Seed = 4, Amd = new AmdOptions { Tau = 300, Kernel = amdKernel, Mode = mode },
        Flow = new FlowOptions { AdjointKernel = adjointKernel },
    };

    /// <summary>
    /// A GFE-amd adjoint run (3 epochs) trains to the same train and test loss with its R-passes on the native kernel as
    /// on torch, to float rounding, batch-coupled and per-sample, while the adjoint's correction moves the loss by far
    /// more than the kernels differ.
    /// </summary>
    [Theory]
    [InlineData(AmdMode.Batch)]
    [InlineData(AmdMode.PerSample)]
    public void An_amd_adjoint_run_trains_alike_on_native_and_torch_passes(AmdMode mode)
    {
        var data = SyntheticImages.Splits(trainCount: 16, testCount: 4);
        var config = new RunConfig
        {
            Method = RunMethod.GfeAmd, Gradient = GradientMode.Adjoint, Dataset = "synthetic", TrainSize = 8, BatchSize = 4,
            TestBatchSize = 4, Seed = 3, Epochs = 3, LearningRate = 2e-3,
            Amd = new AmdOptions { Tau = 200, Mode = mode, Kernel = AmdKernel.Native },
            Flow = new FlowOptions { AdjointKernel = AmdKernel.Native },
        };
        var native = RunExecutor.Execute(config, data, null, CancellationToken.None);
        var torchRun = RunExecutor.Execute(config with { Flow = new FlowOptions { AdjointKernel = AmdKernel.Torch } }, data, null, CancellationToken.None);
        var approximate = RunExecutor.Execute(config with { Gradient = GradientMode.Approximate }, data, null, CancellationToken.None);
        // What runs.csv's adjointKernelRan will say: AMD native in all three, the adjoint's passes as set, none without it.
        Assert.Equal(("native", "native"), (native.AmdKernel, native.AdjointKernel));
        Assert.Equal(("native", "torch"), (torchRun.AmdKernel, torchRun.AdjointKernel));
        Assert.Equal("", approximate.AdjointKernel);

        double difference = Math.Abs(native.FinalTrainLoss - torchRun.FinalTrainLoss);
        double testDifference = Math.Abs(native.TestLoss[Evaluations.GfeAmd] - torchRun.TestLoss[Evaluations.GfeAmd]);
        double adjointEffect = Math.Abs(torchRun.FinalTrainLoss - approximate.FinalTrainLoss);
        output.WriteLine($"{mode}: final train loss native {native.FinalTrainLoss:G9}, torch {torchRun.FinalTrainLoss:G9}, approximate {approximate.FinalTrainLoss:G9}; " +
                         $"test {native.TestLoss[Evaluations.GfeAmd]:G9} vs {torchRun.TestLoss[Evaluations.GfeAmd]:G9}");
        Assert.True(difference <= 1e-3 * torchRun.FinalTrainLoss, $"native and torch adjoint runs end {difference} apart");
        Assert.True(testDifference <= 1e-3 * torchRun.TestLoss[Evaluations.GfeAmd], $"native and torch test losses differ by {testDifference}");
        Assert.True(adjointEffect > 10 * difference, $"the adjoint moved the loss by {adjointEffect} only, against a kernel difference of {difference}");
    }

    /// <summary>The adjoint kernel a run records: gfe-amd's follows adjoint.kernel, the flows' follow flow.kernel (flow
    /// and adjoint on one kernel), auto resolves as amd.kernel's (native on this CPU), and runs without the adjoint record
    /// none.</summary>
    [Fact]
    public void A_run_records_the_kernel_its_adjoint_ran_on()
    {
        var amd = new RunConfig { Method = RunMethod.GfeAmd, Gradient = GradientMode.Adjoint, Dataset = "synthetic", TrainSize = 8 };
        Assert.Equal("native", AmdKernels.AdjointRan(amd));
        Assert.Equal("torch", AmdKernels.AdjointRan(amd with { Flow = new FlowOptions { AdjointKernel = AmdKernel.Torch } }));
        Assert.Equal("torch", AmdKernels.AdjointRan(amd with { Method = RunMethod.GfeRk4, Flow = new FlowOptions { Kernel = AmdKernel.Torch, AdjointKernel = AmdKernel.Native } }));
        Assert.Equal("native", AmdKernels.AdjointRan(amd with { Method = RunMethod.GfeNesterov, Flow = new FlowOptions { Kernel = AmdKernel.Native, AdjointKernel = AmdKernel.Torch } }));
        Assert.Equal("", AmdKernels.AdjointRan(amd with { Gradient = GradientMode.Approximate }));
        Assert.Equal("", AmdKernels.AdjointRan(amd with { Method = RunMethod.Ae }));
    }
}
