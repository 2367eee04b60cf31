using Gfe.Engine.Data;
using Gfe.Engine.Flows;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>
/// The adjoint gradient against central finite differences of the whole unrolled map theta -> L(z*(theta)), with
/// z* from the same RK4 grid, in float64 along random directions of all 8 parameter tensors.
/// </summary>
public class AdjointGradientTests(ITestOutputHelper output)
{
    const double Tau = 2000;

    sealed record Problem(Decoder Decoder, Tensor Images, Tensor[] Parameters);

    static Problem Make(int seed)
    {
        using var generator = new Generator((ulong)seed, CPU);
        var decoder = new Decoder(generator);
        decoder.to(ScalarType.Float64);
        var images = torch.tensor(SyntheticImages.Make(2, seed).Pixels, [2, ImageSet.ImageSize]).to(ScalarType.Float64);
        return new Problem(decoder, images, decoder.parameters().ToArray());
    }

    static TimeGrid Grid(int points, FlowGrid kind = FlowGrid.Linear) =>
        TimeGrid.From(new FlowOptions { Points = points, Tau = Tau, Grid = kind });

    /// <summary>L(D(z*)) with z* from the flow started at zero.</summary>
    static double Unrolled(Problem problem, TimeGrid grid)
    {
        using var scope = torch.NewDisposeScope();
        var z0 = torch.zeros(2, Decoder.LatentSize, ScalarType.Float64);
        using var trajectory = new GradientFlow(grid).Solve(problem.Decoder, problem.Images, z0);
        using var noGrad = torch.no_grad();
        return ReconstructionLoss.BatchSum(LossKind.Bce, problem.Decoder.forward(trajectory.Final), problem.Images).item<double>();
    }

    /// <summary>The adjoint gradient: the direct term by autograd at fixed z*, minus the flow integral.</summary>
    static Tensor[] Adjoint(Problem problem, TimeGrid grid, AdjointStepper stepper, bool withSlopes = true)
    {
        var z0 = torch.zeros(2, Decoder.LatentSize, ScalarType.Float64);
        var solved = new GradientFlow(grid).Solve(problem.Decoder, problem.Images, z0);
        using var trajectory = withSlopes ? solved : solved with { Slopes = null };
        var integral = AdjointGradient.FlowIntegral(problem.Decoder, problem.Images, trajectory, grid.Alpha, stepper);
        problem.Decoder.zero_grad();
        var loss = ReconstructionLoss.BatchSum(LossKind.Bce, problem.Decoder.forward(trajectory.Final), problem.Images);
        AdjointGradient.WithFlowCorrection(loss, problem.Decoder, integral).backward();
        return problem.Parameters.Select(p => p.grad!.clone()).ToArray();
    }

    static double FiniteDifference(Problem problem, TimeGrid grid, Tensor[] direction)
    {
        const double h = 1e-5;
        void Shift(double by)
        {
            using var noGrad = torch.no_grad();
            for (int j = 0; j < direction.Length; j++) problem.Parameters[j].add_(direction[j], alpha: by);
        }
        Shift(h);
        double plus = Unrolled(problem, grid);
        Shift(-2 * h);
        double minus = Unrolled(problem, grid);
        Shift(h);
        return (plus - minus) / (2 * h);
    }

    static double Along(Tensor[] gradient, Tensor[] direction) =>
        gradient.Zip(direction, (g, u) => (g * u).sum().item<double>()).Sum();

    static Tensor[] RandomDirection(Problem problem, Generator generator) =>
        problem.Parameters.Select(p => torch.randn(p.shape, ScalarType.Float64, generator: generator)).ToArray();

    [Theory]
    [InlineData(FlowGrid.Linear, true)]
    [InlineData(FlowGrid.Log, true)]
    [InlineData(FlowGrid.Log, false)]   // as an AMD trajectory would come: uneven points and no slopes
    public void AdjointMatchesFiniteDifferencesOfTheUnrolledSolve(FlowGrid kind, bool withSlopes)
    {
        using var scope = torch.NewDisposeScope();
        var problem = Make(31);
        using var generator = new Generator(8, CPU);
        var grid = Grid(41, kind);
        var adjoint = Adjoint(problem, grid, AdjointStepper.Rk4, withSlopes);
        var approximate = Approximate(problem, grid);
        for (int trial = 0; trial < 3; trial++)
        {
            var direction = RandomDirection(problem, generator);
            double numeric = FiniteDifference(problem, grid, direction);
            double exact = Along(adjoint, direction);
            output.WriteLine($"{kind}: finite differences {numeric}, adjoint {exact}, approximate {Along(approximate, direction)}");
            Assert.True(Math.Abs(exact - numeric) < 1e-3 * Math.Abs(numeric),
                $"direction {trial}: adjoint {exact}, finite differences {numeric}");
            // The flow term matters here, so the check can tell the adjoint from the approximate gradient.
            Assert.True(Math.Abs(Along(approximate, direction) - numeric) > 20 * Math.Abs(exact - numeric));
        }
    }

    [Fact]
    public void BothAdjointSteppersConvergeAsTheGridIsRefined()
    {
        // The reference is the unrolled solve's own derivative on a fine grid. ELU'' jumps where a unit changes sign,
        // so the adjoint's right-hand side is discontinuous in t and neither stepper shows its smooth-problem order.
        using var scope = torch.NewDisposeScope();
        var problem = Make(31);
        using var generator = new Generator(7, CPU);
        var direction = RandomDirection(problem, generator);
        double reference = FiniteDifference(problem, Grid(161), direction);
        double Error(int points, AdjointStepper stepper) =>
            Math.Abs(Along(Adjoint(problem, Grid(points), stepper), direction) - reference);

        double rkCoarse = Error(21, AdjointStepper.Rk4), rkFine = Error(81, AdjointStepper.Rk4);
        double eulerCoarse = Error(21, AdjointStepper.Euler), eulerFine = Error(81, AdjointStepper.Euler);
        output.WriteLine($"reference {reference}; RK4 {rkCoarse} -> {rkFine}; Euler {eulerCoarse} -> {eulerFine}");
        Assert.True(rkFine < rkCoarse / 2, $"RK4 adjoint error {rkCoarse} -> {rkFine}");
        Assert.True(eulerFine < eulerCoarse / 2, $"Euler adjoint error {eulerCoarse} -> {eulerFine}");
        Assert.True(rkFine < eulerFine, $"RK4 {rkFine} should beat Euler {eulerFine} on the same grid");
        Assert.True(rkFine < 1e-3 * Math.Abs(reference));
    }

    [Fact]
    public void FlowCorrectionLeavesTheLossValueUnchanged()
    {
        using var scope = torch.NewDisposeScope();
        var problem = Make(32);
        var z = torch.zeros(2, Decoder.LatentSize, ScalarType.Float64);
        Tensor Loss() => ReconstructionLoss.BatchSum(LossKind.Bce, problem.Decoder.forward(z), problem.Images);
        using var generator = new Generator(9, CPU);
        var integral = problem.Parameters.Select(p => torch.randn(p.shape, ScalarType.Float64, generator: generator)).ToArray();
        var corrected = AdjointGradient.WithFlowCorrection(Loss(), problem.Decoder, integral);
        Assert.Equal(Loss().item<double>(), corrected.item<double>());
        problem.Decoder.zero_grad();
        corrected.backward();
        var withCorrection = problem.Parameters.Select(p => p.grad!.clone()).ToArray();
        problem.Decoder.zero_grad();
        Loss().backward();
        for (int j = 0; j < integral.Length; j++)
            Assert.True((problem.Parameters[j].grad! - withCorrection[j]).allclose(integral[j]));
    }

    [Fact]
    public void RecordedTrajectoryGivesTheSameIntegralAsTheFlowsOwn()
    {
        // How AMD hands over its accepted points: recorded one by one inside per-step scopes that are then disposed.
        using var scope = torch.NewDisposeScope();
        var problem = Make(33);
        var grid = Grid(11, FlowGrid.Log);
        using var solved = new GradientFlow(grid).Solve(problem.Decoder, problem.Images,
            torch.zeros(2, Decoder.LatentSize, ScalarType.Float64));
        var recorder = new TrajectoryRecorder();
        for (int k = 0; k < solved.Times.Count; k++)
        {
            using var step = torch.NewDisposeScope();
            recorder.Add(solved.Times[k], solved.States[k] + 0, k == 3 ? null : solved.Slopes![k] + 0);
        }
        using var recorded = recorder.ToTrajectory();
        Assert.Null(recorded.Slopes);   // one point came without a slope
        Assert.Throws<ArgumentException>(() => recorder.Add(0, solved.Final));

        var direct = AdjointGradient.FlowIntegral(problem.Decoder, problem.Images, solved with { Slopes = null }, grid.Alpha,
            AdjointStepper.Euler);
        var viaRecorder = AdjointGradient.FlowIntegral(problem.Decoder, problem.Images, recorded, grid.Alpha, AdjointStepper.Euler);
        for (int j = 0; j < direct.Length; j++)
            Assert.True(direct[j].Equals(viaRecorder[j]), $"parameter tensor {j}");
        Assert.True(direct[0].abs().sum().item<double>() > 0);
    }

    static Tensor[] Approximate(Problem problem, TimeGrid grid)
    {
        var z0 = torch.zeros(2, Decoder.LatentSize, ScalarType.Float64);
        using var trajectory = new GradientFlow(grid).Solve(problem.Decoder, problem.Images, z0);
        problem.Decoder.zero_grad();
        ReconstructionLoss.BatchSum(LossKind.Bce, problem.Decoder.forward(trajectory.Final), problem.Images).backward();
        return problem.Parameters.Select(p => p.grad!.clone()).ToArray();
    }
}
