using System.Security.Cryptography;
using Encoding = System.Text.Encoding;
using Gfe.Engine.Data;
using Gfe.Engine.Flows;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>
/// The AMD solver on the host decoder kernel (amd.kernel = native) against the torch path: the same algorithm, so the
/// same decisions wherever rounding does not sit on a knife-edge; and the setting's place in sweep files and run keys.
/// </summary>
public class AmdNativeKernelTests
{
    static readonly AmdOptions Smooth = new() { Tau = 300, Tolerance = 1e-12 };
    static readonly AmdOptions ConvergesEarly = new() { Tau = 400, Tolerance = 2e-4 };

    sealed class Problem : IDisposable
    {
        readonly DisposeScope scope = torch.NewDisposeScope();
        public Decoder Decoder { get; }
        public Tensor Images { get; }
        public Tensor Z0 { get; }

        public Problem(int batch, double sharpness)
        {
            var generator = new Generator(21, CPU);
            Decoder = new Decoder(generator);
            using (torch.no_grad())
                foreach (var parameter in Decoder.parameters())
                    parameter.mul_(sharpness);
            Images = torch.tensor(SyntheticImages.Make(batch, 8).Pixels, [batch, ImageSet.ImageSize]);
            Z0 = LatentStart.Draw(LatentInit.Uniform, batch, generator, CPU);
        }

        public (AmdSolution Solution, List<AmdTrial> Trials) Solve(AmdOptions options, int? only = null)
        {
            var images = only is { } i ? Images[i..(i + 1)] : Images;
            var z0 = only is { } j ? Z0[j..(j + 1)] : Z0;
            var trials = new List<AmdTrial>();
            var solution = new AmdSolver(options).Solve(Decoder, images, z0, trials.Add);
            return (solution, trials);
        }

        public void Dispose() => scope.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Batch_solve_takes_the_same_steps_as_the_torch_path(int batch)
    {
        foreach (var options in new[] { Smooth, ConvergesEarly })
        {
            using var problem = new Problem(batch, sharpness: 1);
            var (torchSolution, torchTrials) = problem.Solve(options);
            var (native, nativeTrials) = problem.Solve(options with { Kernel = AmdKernel.Native });
            Assert.Equal(torchSolution.Statistics, native.Statistics);
            Assert.Equal(torchSolution.FinalTime, native.FinalTime);
            Assert.Equal(torchTrials.Select(t => (t.Dt, t.Accepted, t.Forced, t.Converged)),
                nativeTrials.Select(t => (t.Dt, t.Accepted, t.Forced, t.Converged)));
            for (int k = 0; k < nativeTrials.Count; k++)
                for (int i = 0; i < batch; i++)
                    Assert.Equal(torchTrials[k].LossAfter[i], nativeTrials[k].LossAfter[i], 1e-5f * torchTrials[k].LossAfter[i]);
            Assert.True(torchSolution.Latent.allclose(native.Latent, rtol: 1e-4, atol: 1e-4), "z* differs");
            Assert.Equal(torchSolution.ForwardRows, native.ForwardRows);
            Assert.Equal(torchSolution.BackwardRows, native.BackwardRows);
        }
    }

    /// <summary>
    /// Every SIMD path this CPU runs (all four on x64 with AVX-512) solves bit for bit like the scalar path: the same
    /// trials, losses, z* and statistics, in both modes, on a landscape that rejects and falls back.
    /// </summary>
    [Theory]
    [InlineData(AmdMode.Batch)]
    [InlineData(AmdMode.PerSample)]
    public void Every_simd_path_solves_bit_for_bit_alike(AmdMode mode)
    {
        var options = new AmdOptions { Tau = 60, Tolerance = 1e-12, Kernel = AmdKernel.Native, Mode = mode };
        using var problem = new Problem(3, sharpness: 3);
        (AmdSolution Solution, List<AmdTrial> Trials) Solve(Gfe.Engine.Kernels.SimdPath path)
        {
            var trials = new List<AmdTrial>();
            var solver = new AmdSolver(options, path);
            Assert.Equal(path, solver.Simd);
            return (solver.Solve(problem.Decoder, problem.Images, problem.Z0, trials.Add), trials);
        }
        var (scalar, scalarTrials) = Solve(Gfe.Engine.Kernels.SimdPath.Scalar);
        Assert.Contains(scalarTrials, t => !t.Accepted);
        foreach (var path in Gfe.Engine.Kernels.SimdPaths.Runnable)
        {
            var (other, otherTrials) = Solve(path);
            Assert.Equal(scalar.Statistics, other.Statistics);
            Assert.Equal(scalarTrials.Select(t => (t.Time, t.Dt, t.Accepted, t.Sample)), otherTrials.Select(t => (t.Time, t.Dt, t.Accepted, t.Sample)));
            Assert.Equal(scalarTrials.SelectMany(t => t.LossAfter.Concat(t.GradientNormsSquared)).Select(BitConverter.SingleToInt32Bits),
                otherTrials.SelectMany(t => t.LossAfter.Concat(t.GradientNormsSquared)).Select(BitConverter.SingleToInt32Bits));
            Assert.True(scalar.Latent.Equals(other.Latent), $"z* of {Gfe.Engine.Kernels.SimdPaths.Name(path)} differs from scalar");
        }
    }

    /// <summary>Rejections and fallbacks: every decision in the native trace follows the reference's test.</summary>
    [Fact]
    public void Curved_landscape_backtracks_and_falls_back_by_the_reference_rules()
    {
        var options = new AmdOptions { Tau = 200, Tolerance = 1e-12, Kernel = AmdKernel.Native };
        using var problem = new Problem(3, sharpness: 3);
        var (solution, trials) = problem.Solve(options);
        Assert.Contains(trials, t => !t.Accepted);
        Assert.Equal(trials.Count(t => t.Accepted), solution.Statistics.AcceptedSteps);
        for (int k = 0; k < trials.Count; k++)
        {
            var trial = trials[k];
            bool decreases = trial.LossBefore.Zip(trial.LossAfter, trial.GradientNormsSquared).All(s =>
                s.First - s.Second >= (float)(options.Sigma * trial.Dt * options.DtMax) * s.Third);
            Assert.Equal(trial.Forced || decreases, trial.Accepted);
            if (k + 1 < trials.Count)
            {
                var next = trials[k + 1];
                Assert.Equal(trial.Time + trial.Advance, next.Time);
                Assert.Equal(trial.Accepted ? trial.LossAfter : trial.LossBefore, next.LossBefore);
                if (!trial.Accepted) Assert.Equal(trial.Dt * options.Beta, next.Dt);
            }
        }
    }

    /// <summary>The kernel's rows are independent and its sums ordered, so per-sample on a batch is bit for bit each
    /// image alone, and per-sample on one image is bit for bit the batch-coupled solver.</summary>
    [Fact]
    public void Per_sample_on_a_batch_is_each_image_alone_bit_for_bit()
    {
        var perSample = ConvergesEarly with { Mode = AmdMode.PerSample, Kernel = AmdKernel.Native };
        using var problem = new Problem(4, sharpness: 2);
        var (batch, batchTrials) = problem.Solve(perSample);
        var total = AmdStatistics.None;
        for (int i = 0; i < 4; i++)
        {
            var (alone, aloneTrials) = problem.Solve(perSample, only: i);
            var (coupled, _) = problem.Solve(perSample with { Mode = AmdMode.Batch }, only: i);
            total = total.Add(alone.Statistics);
            Assert.True(alone.Latent.Equals(batch.Latent[i..(i + 1)]), $"z* differs for image {i}");
            Assert.True(alone.Latent.Equals(coupled.Latent), $"per-sample alone vs batch-coupled, image {i}");
            var mine = batchTrials.Where(t => t.Sample == i).ToList();
            Assert.Equal(aloneTrials.Select(t => (t.Dt, t.Accepted, t.LossAfter[0])), mine.Select(t => (t.Dt, t.Accepted, t.LossAfter[0])));
        }
        Assert.Equal(total, batch.Statistics);
    }

    /// <summary>
    /// amd.perSampleToleranceScale: an image stops at the first window whose |slope| is under tolerance x scale, so a
    /// smaller scale never stops an image sooner; scale 1 is the original rule. On both kernels.
    /// </summary>
    [Theory]
    [InlineData(AmdKernel.Torch)]
    [InlineData(AmdKernel.Native)]
    public void Per_sample_tolerance_scale_moves_each_images_stopping_point(AmdKernel kernel)
    {
        var original = new AmdOptions { Tau = 1000, Tolerance = 1e-6, Mode = AmdMode.PerSample, Kernel = kernel };
        var strict = original with { PerSampleToleranceScale = 0.25 };
        using var problem = new Problem(3, sharpness: 2);
        var (loose, looseTrials) = problem.Solve(original);
        var (tight, tightTrials) = problem.Solve(strict);
        Assert.True(loose.Statistics.ConvergedSolves > 0, "the loose rule should converge some images");
        for (int i = 0; i < 3; i++)
        {
            var mine = tightTrials.Where(t => t.Sample == i && t.MonitoredLoss is not null).Select(t => t.MonitoredLoss!.Value).ToList();
            var window = original.Window;
            // The stopping point: the first window under tolerance x scale (or tau reached without one).
            int firstUnder = Enumerable.Range(window, Math.Max(0, mine.Count - window + 1))
                .FirstOrDefault(n => Math.Abs(AmdSolver.MeanSlope(mine.GetRange(n - window, window))) < original.Tolerance * 0.25, -1);
            bool converged = tightTrials.Any(t => t.Sample == i && t.Converged);
            Assert.Equal(converged, firstUnder >= 0);
            if (converged) Assert.Equal(firstUnder, mine.Count);
            Assert.True(tight.SampleTimes[i] >= loose.SampleTimes[i], $"image {i} stopped sooner under the stricter rule");
        }
        Assert.True(tight.Statistics.AcceptedSteps > loose.Statistics.AcceptedSteps, $"{tight.Statistics} vs {loose.Statistics}");
    }

    /// <summary>The exact adjoint needs the accepted path: the native solve records the same times and points.</summary>
    [Fact]
    public void Native_solve_records_the_accepted_path_for_the_adjoint()
    {
        using var problem = new Problem(2, sharpness: 1);
        var torchPath = new TrajectoryRecorder();
        var nativePath = new TrajectoryRecorder();
        var torchSolution = new AmdSolver(Smooth).Solve(problem.Decoder, problem.Images, problem.Z0, trajectory: torchPath);
        var native = new AmdSolver(Smooth with { Kernel = AmdKernel.Native }).Solve(problem.Decoder, problem.Images, problem.Z0, trajectory: nativePath);
        using var torchTrajectory = torchPath.ToTrajectory();
        using var nativeTrajectory = nativePath.ToTrajectory();
        Assert.Equal(torchSolution.Statistics.AcceptedSteps + 1, nativePath.Count);
        Assert.Equal(torchTrajectory.Times, nativeTrajectory.Times);
        Assert.True(nativeTrajectory.States[0].Equals(problem.Z0), "the path starts at z0");
        Assert.True(nativeTrajectory.Final.Equals(native.Latent), "the path ends at z*");
        for (int k = 0; k < nativePath.Count; k++)
            Assert.True(torchTrajectory.States[k].allclose(nativeTrajectory.States[k], rtol: 1e-4, atol: 1e-4), $"point {k}");
    }

    [Fact]
    public void Non_finite_input_is_an_exception()
    {
        using var problem = new Problem(2, sharpness: 1);
        var solver = new AmdSolver(Smooth with { Kernel = AmdKernel.Native });
        var images = problem.Images.clone();
        images[0, 3] = torch.tensor(float.NaN);
        Assert.Throws<ArgumentException>(() => solver.Solve(problem.Decoder, images, problem.Z0));
        var z0 = problem.Z0.clone();
        z0[1, 0] = torch.tensor(float.PositiveInfinity);
        Assert.Throws<ArgumentException>(() => solver.Solve(problem.Decoder, problem.Images, z0));
    }

    /// <summary>
    /// The setting defaults to auto, which computes something else than the torch path the old keys name, so auto is
    /// in the key; torch, the old default, is still left out, so a config that sets amd.kernel: torch keeps the key
    /// (and the stored result) it had before the setting existed.
    /// </summary>
    [Fact]
    public void Kernel_setting_defaults_to_auto_and_torch_keeps_the_old_run_keys()
    {
        var native = RunParameters.Apply(new RunConfig(), "amd.kernel", "native");
        Assert.Equal(AmdKernel.Native, native.Amd.Kernel);
        Assert.Equal(AmdKernel.Auto, new RunConfig().Amd.Kernel);
        Assert.Equal(AmdKernel.Auto, RunParameters.Apply(native, "amd.kernel", "auto").Amd.Kernel);
        Assert.Equal("auto", RunParameters.Find("amd.kernel")!.Format(new RunConfig()));
        Assert.Contains(KeyValuePair.Create("amd.kernel", "auto"), RunParameters.ToKeyList(new RunConfig()));
        Assert.NotEqual(RunKey.For(new RunConfig()), RunKey.For(new RunConfig { Amd = new AmdOptions { Kernel = AmdKernel.Torch } }));
        // What auto resolves to here (no CUDA in the tests' machines) and what a run records.
        Assert.Equal(torch.cuda.is_available() ? AmdKernel.Torch : AmdKernel.Native, AmdKernels.Resolve(AmdKernel.Auto));
        Assert.Equal(AmdKernel.Torch, AmdKernels.Resolve(AmdKernel.Torch));
        Assert.Equal(AmdKernels.Resolve(AmdKernel.Auto), new AmdSolver(new AmdOptions { Kernel = AmdKernel.Auto }).Kernel);
        Assert.Equal(("", ""), AmdKernels.Ran(new RunConfig { Method = RunMethod.Simulate }));
        // The flows record flow.kernel's resolution, not amd.kernel's (KernelFlowTests).
        Assert.Equal(("torch", ""), AmdKernels.Ran(new RunConfig { Method = RunMethod.GfeRk4, Flow = new FlowOptions { Kernel = AmdKernel.Torch } }));
        Assert.Equal(("torch", ""), AmdKernels.Ran(new RunConfig { Amd = new AmdOptions { Kernel = AmdKernel.Torch } }));
        var (ran, simd) = AmdKernels.Ran(new RunConfig { Method = RunMethod.Ae, Amd = new AmdOptions { Kernel = AmdKernel.Native } });
        Assert.Equal("native", ran);
        Assert.NotNull(Gfe.Engine.Kernels.SimdPaths.Parse(simd));
        Assert.Throws<RunConfigException>(() => RunParameters.Apply(new RunConfig(), "amd.kernel", "cuda"));
        Assert.Equal(0.0625, RunParameters.Apply(new RunConfig(), "amd.perSampleToleranceScale", "0.0625").Amd.PerSampleToleranceScale);
        Assert.Equal("1", RunParameters.Find("amd.perSampleToleranceScale")!.Format(new RunConfig()));

        // The key as it was computed before amd.kernel, amd.perSampleToleranceScale and runsOn existed: every other setting, in order.
        foreach (var config in new[] { new RunConfig { Amd = new AmdOptions() }, new RunConfig { Seed = 4, Amd = new AmdOptions { Tau = 300 } } })
        {
            var canonical = string.Join("\n", RunParameters.ToList(config)
                .Where(kv => !RunDeviceSettingTests.SettingsNewerThanKeys.Contains(kv.Key))
                .Select(kv => $"{kv.Key}={kv.Value}"));
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..10];
            Assert.EndsWith("." + hash, RunKey.For(config));
            Assert.NotEqual(RunKey.For(config), RunKey.For(config with { Amd = config.Amd with { Kernel = AmdKernel.Native } }));
            Assert.NotEqual(RunKey.For(config), RunKey.For(config with { Amd = config.Amd with { PerSampleToleranceScale = 0.0625 } }));
        }
    }
}
