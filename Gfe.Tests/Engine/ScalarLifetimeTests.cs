using Gfe.Engine.Data;
using Gfe.Engine.Runs;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>
/// TorchSharp turns number operands (and the implicit alpha of every tensor add and subtract) into temporary Scalars
/// that the garbage collector may free while the native operation still reads them (docs/platform-notes.md); a real
/// run died of it after 20 minutes. Here a thread forces collections and finalizers without pause while each kind of
/// run trains and tests: every run must finish, with exactly the numbers it gives without the pressure.
/// </summary>
public class ScalarLifetimeTests
{
    static readonly DatasetSplits Data = SyntheticImages.Splits(trainCount: 24, testCount: 6);

    static RunConfig Config(RunMethod method) => new()
    {
        Method = method,
        Dataset = "synthetic",
        TrainSize = 24,
        BatchSize = 8,
        TestBatchSize = 3,
        Seed = 5,
        LearningRate = 2e-3,
        Amd = new AmdOptions { Tau = 100 },
        Flow = new FlowOptions { Points = 12, Tau = 100 },
    };

    public static TheoryData<string> Runs => ["gfe-amd", "gfe-amd per-sample", "gfe-amd native", "ae", "gfe-rk4", "gfe-rk4 adjoint", "gfe-nesterov adjoint", "gfe-amd adjoint"];

    static RunConfig Named(string name) => name switch
    {
        "gfe-amd" => Config(RunMethod.GfeAmd),
        "gfe-amd per-sample" => Config(RunMethod.GfeAmd) with { Amd = new AmdOptions { Tau = 100, Mode = AmdMode.PerSample } },
        "gfe-amd native" => Config(RunMethod.GfeAmd) with { Amd = new AmdOptions { Tau = 100, Kernel = AmdKernel.Native } },
        "gfe-amd adjoint" => Config(RunMethod.GfeAmd) with { Gradient = GradientMode.Adjoint },
        "ae" => Config(RunMethod.Ae) with { Epochs = 6 },   // an AE batch is quick: more of them for the collector to hit
        "gfe-rk4" => Config(RunMethod.GfeRk4),
        "gfe-rk4 adjoint" => Config(RunMethod.GfeRk4) with { Gradient = GradientMode.Adjoint },
        "gfe-nesterov adjoint" => Config(RunMethod.GfeNesterov) with { Gradient = GradientMode.Adjoint },
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void UnderConstantCollections_ARunFinishes_WithTheNumbersItGivesWithout(string name)
    {
        var config = Named(name);
        var calm = RunExecutor.Execute(config, Data, null, CancellationToken.None);

        RunResult stressed;
        long collections;
        using (var pressure = new CollectionPressure())
        {
            stressed = RunExecutor.Execute(config, Data, null, CancellationToken.None);
            collections = pressure.Collections;
        }

        Assert.True(collections >= 10, $"only {collections} collections ran during the stressed run");
        Assert.Equal(calm.TestLoss, stressed.TestLoss);
        Assert.Equal(calm.FinalTrainLoss, stressed.FinalTrainLoss);
    }

    /// <summary>A thread that collects garbage and runs finalizers back to back until disposed.</summary>
    sealed class CollectionPressure : IDisposable
    {
        readonly Thread thread;
        volatile bool stop;
        long collections;

        public CollectionPressure()
        {
            thread = new Thread(() =>
            {
                while (!stop)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    Interlocked.Increment(ref collections);
                }
            }) { IsBackground = true, Name = "collection pressure" };
            thread.Start();
        }

        public long Collections => Interlocked.Read(ref collections);

        public void Dispose()
        {
            stop = true;
            thread.Join();
        }
    }
}
