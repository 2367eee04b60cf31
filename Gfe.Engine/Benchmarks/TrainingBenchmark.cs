using System.Diagnostics;
using System.Globalization;
using Gfe.Engine.Data;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using Gfe.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Benchmarks;

/// <summary>
/// Whole-run figures of issue 5 on real data: GFE-amd training throughput with parity semantics per AMD kernel, two
/// runs side by side in one process against one alone, and resident memory over many latent steps.
/// </summary>
public static class TrainingBenchmark
{
    /// <summary>
    /// The PARITY GFE-amd run of the target: B = 16, reference AMD settings, a short test so training dominates. AMD on
    /// <paramref name="kernel"/>, and with the exact adjoint its R-passes too (adjoint.kernel); <paramref name="amdKernel"/>
    /// holds AMD on another kernel than the one under test (bench training --rpass-only: AMD native, R-passes alternating).
    /// </summary>
    public static RunConfig ParityRun(string dataset, int trainSize, AmdKernel kernel, int seed = 0, AmdKernel? amdKernel = null) => new()
    {
        Method = RunMethod.GfeAmd,
        Dataset = dataset,
        TrainSize = trainSize,
        TestSize = 16,
        BatchSize = 16,
        TestBatchSize = 16,
        Seed = seed,
        Amd = new AmdOptions { Kernel = amdKernel ?? kernel },
        Flow = new FlowOptions { AdjointKernel = kernel },
    };

    /// <summary>
    /// The parity run of a fixed-grid flow (issue 10's GFE-rk4 figure): B = 16, the linear grid of 100 points, tau 1e4,
    /// z0 zero (the flow defaults), the approximate gradient, on <paramref name="kernel"/> (flow.kernel).
    /// </summary>
    public static RunConfig ParityFlowRun(string dataset, int trainSize, RunMethod method, AmdKernel kernel, int seed = 0) =>
        ParityRun(dataset, trainSize, AmdKernel.Torch, seed) with { Method = method, Flow = new FlowOptions { Kernel = kernel } };

    /// <summary>One whole run. Per latent step: AMD trials for gfe-amd, RK4 stages (each one gradient of the batch)
    /// for the flows.</summary>
    public static TrainingRate Measure(RunConfig config, DatasetSplits data, CancellationToken cancel = default)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var training = new TrainingCpuClock();
        var result = RunExecutor.Execute(config, data, training, cancel);
        // Images per CPU-second of training in its steady state: from the end of the first batch to the end of the
        // last, so that neither the data preparation and first-call work before it nor the test encoding after it
        // counts (the authors' driver measures the same span). A one-batch run counts from the start.
        double imagesPerCpuSecond = training is { First: { } first, Last: { } last } && last.Images > first.Images
            ? (last.Images - first.Images) / (last.Cpu - first.Cpu).TotalSeconds
            : result.ImagesSeen / ((training.Last?.Cpu ?? Process.GetCurrentProcess().TotalProcessorTime) - cpu).TotalSeconds;
        bool flow = config.Method is RunMethod.GfeRk4 or RunMethod.GfeNesterov;
        long batches = flow ? (result.ImagesSeen + config.BatchSize - 1) / config.BatchSize : result.TrainAmd.Solves;
        long trials = flow ? batches * 4L * (config.Flow.Points - 1) : result.TrainAmd.AcceptedSteps + result.TrainAmd.RejectedTrials;
        return new TrainingRate(Name(KernelUnderTest(config)), result.ImagesSeen / result.TrainSeconds, (double)trials / Math.Max(1, batches),
            1000 * result.TrainSeconds / Math.Max(1, trials), result.TestLoss.Values.First(), imagesPerCpuSecond,
            result.TestImages / result.TestSeconds);
    }

    /// <summary>
    /// One run alone, then two copies (seeds s and s + 1) at once on two threads of this process, each with one torch
    /// thread: the pair's training images per second over the single run's (2 = perfect on 2 free cores). Also the
    /// same ratio per CPU-second of the process: near 1 when the two runs do not slow each other down (caches, memory
    /// bandwidth, locks), whatever share of the cores a shared machine gives them.
    /// </summary>
    public static SideBySideRate SideBySide(RunConfig config, DatasetSplits data, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var alone = RunExecutor.Execute(config, data, null, cancel);
        double aloneRate = alone.ImagesSeen / clock.Elapsed.TotalSeconds;
        double aloneCpuRate = alone.ImagesSeen / (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;

        var results = new RunResult?[2];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
            results[i] = RunExecutor.Execute(config with { Seed = config.Seed + i }, data, null, cancel))).ToList();
        clock.Restart();
        cpu = Process.GetCurrentProcess().TotalProcessorTime;
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        long images = results.Sum(r => r!.ImagesSeen);
        double pairRate = images / clock.Elapsed.TotalSeconds;
        double pairCpuRate = images / (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        return new SideBySideRate(aloneRate, pairRate, pairRate / aloneRate, pairCpuRate / aloneCpuRate);
    }

    /// <summary>
    /// GFE-amd training steps (AMD solve, then the RMSprop update) on synthetic batches of <paramref name="batchSize"/>
    /// until <paramref name="steps"/> AMD trials have run; <paramref name="report"/> sees the trial count and the
    /// resident memory (VmRSS, MB) at the start, the middle and the end. Returns the peak (VmHWM, MB).
    /// </summary>
    public static double MemoryOverSteps(AmdKernel kernel, long steps, int batchSize, Action<long, double> report, CancellationToken cancel = default)
    {
        torch.set_num_threads(1);
        using var generator = new Generator(3, CPU);
        using var decoder = new Decoder(generator);
        using var optimizer = new RmsProp(decoder.parameters(), 5e-4, 0.9, 1e-6);
        var solver = new AmdSolver(new AmdOptions { Kernel = kernel, Tau = 300 });
        long done = 0;
        bool middleReported = false;
        report(0, ResidentMegabytes("VmRSS:"));
        while (done < steps)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var images = torch.rand(batchSize, ImageSet.ImageSize, generator: generator).Below(0.2).to(ScalarType.Float32);
            var solution = solver.Solve(decoder, images, torch.rand(batchSize, Decoder.LatentSize, generator: generator));
            done += solution.Statistics.AcceptedSteps + solution.Statistics.RejectedTrials;
            optimizer.ZeroGrad();
            ReconstructionLoss.BatchSum(decoder.Shape.Loss, decoder.forward(solution.Latent), images).backward();
            optimizer.Step();
            if (!middleReported && done >= steps / 2)
            {
                report(done, ResidentMegabytes("VmRSS:"));
                middleReported = true;
            }
        }
        report(done, ResidentMegabytes("VmRSS:"));
        return ResidentMegabytes("VmHWM:");
    }

    /// <summary>
    /// Trains a decoder as a parity GFE-amd run does (batch-coupled AMD on <paramref name="config"/>'s kernel, z* held
    /// constant, RMSprop), then encodes the same test images with batch-coupled AMD at the test batch size and with
    /// per-sample AMD in one batch at each tolerance scale. Returns the test losses (batch first) and accepted flow steps
    /// per test image, and the per-sample solves' decoder GFLOP/s.
    /// </summary>
    public static IReadOnlyList<(string Solver, double TestLoss, double StepsPerImage, double Gflops)> PerSampleQuality(
        RunConfig config, DatasetSplits data, IReadOnlyList<double> scales, CancellationToken cancel = default)
    {
        torch.set_num_threads(1);
        using var scope = torch.NewDisposeScope();
        var inputs = RunInputs.Prepare(config, data);
        using var generator = new Generator((ulong)config.Seed, CPU);
        using var decoder = new Decoder(generator);
        var training = new AmdSolver(config.Amd);
        TrainingLoop.Run(decoder, images =>
        {
            var solution = training.Solve(decoder, images, LatentStart.Draw(config.Z0, images.shape[0], generator, CPU));
            return ReconstructionLoss.BatchSum(decoder.Shape.Loss, decoder.forward(solution.Latent), images);
        }, inputs.Train, config, CPU, null, cancel);

        var rows = new List<(string, double, double, double)>();
        void Evaluate(string name, AmdOptions options, int batchSize)
        {
            using var draws = Checkpoints.TorchState.Copy(generator);   // every solver starts from the same z0 draws
            var clock = Stopwatch.StartNew();
            long decoderRows = 0;
            var amd = AmdStatistics.None;
            var solver = new AmdSolver(options);
            double loss = TestEvaluation.MeanLoss(decoder.Shape.Loss, inputs.Test, batchSize, images =>
            {
                var solution = solver.Solve(decoder, images, LatentStart.Draw(config.Z0, images.shape[0], draws, CPU));
                decoderRows += solution.ForwardRows + solution.BackwardRows;
                amd = amd.Add(solution.Statistics);
                return decoder.forward(solution.Latent);
            }, CPU, null, cancel);
            // Accepted steps per solve: per batch in batch mode (every image of it takes them), per image in per-sample mode.
            rows.Add((name, loss, (double)amd.AcceptedSteps / amd.Solves, decoderRows * SolverBenchmark.FlopsPerRow / clock.Elapsed.TotalSeconds / 1e9));
        }
        Evaluate($"batch B={config.TestBatchSize}", config.Amd with { Mode = AmdMode.Batch }, config.TestBatchSize);
        foreach (var scale in scales)
            Evaluate($"per-sample B={inputs.Test.Count} scale {scale.ToString("G4", CultureInfo.InvariantCulture)}",
                config.Amd with { Mode = AmdMode.PerSample, PerSampleToleranceScale = scale }, inputs.Test.Count);
        return rows;
    }

    /// <summary>A line of /proc/self/status in MB (VmRSS: now, VmHWM: peak), or NaN off Linux.</summary>
    public static double ResidentMegabytes(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return double.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return double.NaN;
    }

    /// <summary>The kernel a parity run is timed on: the flows' (flow.kernel), GFE-amd's adjoint R-passes' (adjoint.kernel)
    /// with the exact adjoint, else AMD's (amd.kernel).</summary>
    public static AmdKernel KernelUnderTest(RunConfig config) =>
        config.Method is RunMethod.GfeRk4 or RunMethod.GfeNesterov ? config.Flow.Kernel
        : config.Gradient == GradientMode.Adjoint ? config.Flow.AdjointKernel
        : config.Amd.Kernel;

    public static string Name(AmdKernel kernel) => kernel == AmdKernel.Native ? "native" : "torch";

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>The process's CPU time at each training-batch report, on the run's own thread (not
    /// <see cref="Progress{T}"/>, which would post it elsewhere later).</summary>
    /// <summary>The process's CPU time and images seen at the first and the last training batch's progress report.</summary>
    sealed class TrainingCpuClock : IProgress<RunProgress>
    {
        public (TimeSpan Cpu, long Images)? First { get; private set; }
        public (TimeSpan Cpu, long Images)? Last { get; private set; }

        public void Report(RunProgress value)
        {
            if (value.Phase != "train") return;
            Last = (Process.GetCurrentProcess().TotalProcessorTime, value.ImagesSeen);
            First ??= Last;
        }
    }
}
