using Gfe.Engine.Runs;
using Gfe.Grains;
using Xunit;

namespace Gfe.Tests.Grains;

public sealed class RunOutcomesTests
{
    [Fact]
    public void Every_field_of_a_run_result_reaches_the_outcome()
    {
        var result = new RunResult
        {
            TestLoss = new Dictionary<string, double> { [Evaluations.Ae] = 0.12, [Evaluations.Mixed] = 0.08 },
            FinalTrainLoss = 0.2,
            ImagesSeen = 480,
            TestImages = 10_000,
            TrainAmd = new AmdStatistics(30, 300, 40, 2, 25),
            TestAmd = new AmdStatistics(625, 5000, 700, 5, 600),
            TrainSeconds = 12.5,
            TestSeconds = 3.25,
            Curve = [new CurvePoint(16, 0.5, 0.4), new CurvePoint(32, 1.0, 0.3)],
            DataProvenance = "mnist sha256:abc",
            Device = "cpu",
            EvalCurve = [new EvalPoint(0, 0, new Dictionary<string, double> { [Evaluations.Ae] = 0.7 }), new EvalPoint(32, 1.0, new Dictionary<string, double> { [Evaluations.Ae] = 0.2 })],
            Reconstructions = new TestReconstructions(new float[784], new Dictionary<string, float[]> { [Evaluations.Ae] = new float[784] }),
        };

        var outcome = RunOutcomes.From(result);

        Assert.Equal(result.TestLoss, outcome.TestLoss);
        Assert.Equal(0.2, outcome.FinalTrainLoss);
        Assert.Equal(480, outcome.ImagesSeen);
        Assert.Equal(10_000, outcome.TestImages);
        Assert.Equal((30L, 300L, 40L, 2L, 25L), (outcome.TrainAmd.Solves, outcome.TrainAmd.AcceptedSteps,
            outcome.TrainAmd.RejectedTrials, outcome.TrainAmd.ForcedAcceptances, outcome.TrainAmd.ConvergedSolves));
        Assert.Equal((625L, 5000L, 700L, 5L, 600L), (outcome.TestAmd.Solves, outcome.TestAmd.AcceptedSteps,
            outcome.TestAmd.RejectedTrials, outcome.TestAmd.ForcedAcceptances, outcome.TestAmd.ConvergedSolves));
        Assert.Equal(10.0, outcome.TrainAmd.AcceptedPerSolve);
        Assert.Equal(12.5, outcome.TrainSeconds);
        Assert.Equal(3.25, outcome.TestSeconds);
        Assert.Equal([(16L, 0.5, 0.4), (32L, 1.0, 0.3)], outcome.Curve.Select(c => (c.ImagesSeen, c.Seconds, c.TrainLoss)));
        Assert.Equal("mnist sha256:abc", outcome.DataProvenance);
        Assert.Equal("cpu", outcome.Device);
        Assert.Equal([(0L, 0.0, 0.7), (32L, 1.0, 0.2)], outcome.EvalCurve!.Select(p => (p.ImagesSeen, p.Seconds, p.TestLoss[Evaluations.Ae])));
        Assert.Same(result.Reconstructions.Originals, outcome.Reconstructions!.Originals);
        Assert.Equal([Evaluations.Ae], outcome.Reconstructions.Reconstructed.Keys);
    }
}
