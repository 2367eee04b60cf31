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
/// The Nesterov adjoint against central finite differences of the whole unrolled second-order solve
/// theta -> L(z*(theta)), in float64 along random directions of all 8 parameter tensors. Being the discrete adjoint of
/// the same RK4 steps, it must agree to finite-difference accuracy (1e-4 relative here, where the continuous first-order
/// adjoint of <see cref="AdjointGradientTests"/> is allowed 1e-3 for its discretisation error).
/// </summary>
public class NesterovAdjointTests(ITestOutputHelper output)
{
    sealed record Problem(Decoder Decoder, Tensor Images, Tensor[] Parameters);

    static Problem Make(int seed)
    {
        using var generator = new Generator((ulong)seed, CPU);
        var decoder = new Decoder(generator);
        decoder.to(ScalarType.Float64);
        var images = torch.tensor(SyntheticImages.Make(2, seed).Pixels, [2, ImageSet.ImageSize]).to(ScalarType.Float64);
        return new Problem(decoder, images, decoder.parameters().ToArray());
    }

    static NesterovFlow Flow(int points, double tau, FlowGrid kind) =>
        new(TimeGrid.From(new FlowOptions { Points = points, Tau = tau, Grid = kind }), 1e-5);

    static Tensor Start(int seed)
    {
        using var generator = new Generator((ulong)seed, CPU);
        return torch.randn(2, Decoder.LatentSize, ScalarType.Float64, generator: generator) * 0.5;
    }

    static double Unrolled(Problem problem, NesterovFlow flow, Tensor z0)
    {
        using var scope = torch.NewDisposeScope();
        using var trajectory = flow.Solve(problem.Decoder, problem.Images, z0);
        using var noGrad = torch.no_grad();
        return ReconstructionLoss.BatchSum(LossKind.Bce, problem.Decoder.forward(trajectory.Final), problem.Images).item<double>();
    }

    /// <summary>The gradient as FlowRun forms it: autograd at fixed z* through WithFlowCorrection, or without it.</summary>
    static Tensor[] Gradient(Problem problem, NesterovFlow flow, Tensor z0, bool adjoint)
    {
        using var trajectory = flow.Solve(problem.Decoder, problem.Images, z0);
        var integral = adjoint ? NesterovAdjoint.FlowIntegral(problem.Decoder, problem.Images, trajectory, flow) : null;
        problem.Decoder.zero_grad();
        var loss = ReconstructionLoss.BatchSum(LossKind.Bce, problem.Decoder.forward(trajectory.Final), problem.Images);
        (integral is null ? loss : AdjointGradient.WithFlowCorrection(loss, problem.Decoder, integral)).backward();
        return problem.Parameters.Select(p => p.grad!.clone()).ToArray();
    }

    /// <summary>
    /// A central difference with a small step: ELU'' jumps at 0, so L(theta) has second-derivative jumps wherever a
    /// stage's pre-activation crosses 0, and along a random direction of all parameters (norm about the square root of
    /// their count) they are dense; a difference straddling one is only O(h) accurate (at h = 1e-5 it was off by up to
    /// 1e-3 relative).
    /// </summary>
    static double FiniteDifference(Problem problem, NesterovFlow flow, Tensor z0, Tensor[] direction)
    {
        const double h = 1e-8;
        void Shift(double by)
        {
            using var noGrad = torch.no_grad();
            for (int j = 0; j < direction.Length; j++) problem.Parameters[j].add_(direction[j], alpha: by);
        }
        Shift(h);
        double plus = Unrolled(problem, flow, z0);
        Shift(-2 * h);
        double minus = Unrolled(problem, flow, z0);
        Shift(h);
        return (plus - minus) / (2 * h);
    }

    static double Along(Tensor[] gradient, Tensor[] direction) =>
        gradient.Zip(direction, (g, u) => (g * u).sum().item<double>()).Sum();

    [Theory]
    [InlineData(FlowGrid.Linear, 21, 400.0, false)]
    [InlineData(FlowGrid.Log, 21, 2000.0, false)]
    [InlineData(FlowGrid.Linear, 11, 400.0, true)]   // FlowRunTests' grid, from a random start
    public void AdjointMatchesFiniteDifferencesOfTheUnrolledSolve(FlowGrid kind, int points, double tau, bool randomStart)
    {
        using var scope = torch.NewDisposeScope();
        var problem = Make(41);
        var flow = Flow(points, tau, kind);
        var z0 = randomStart ? Start(5) : torch.zeros(2, Decoder.LatentSize, ScalarType.Float64);
        var adjoint = Gradient(problem, flow, z0, adjoint: true);
        var approximate = Gradient(problem, flow, z0, adjoint: false);
        using var generator = new Generator(12, CPU);
        for (int trial = 0; trial < 3; trial++)
        {
            var direction = problem.Parameters.Select(p => torch.randn(p.shape, ScalarType.Float64, generator: generator)).ToArray();
            double numeric = FiniteDifference(problem, flow, z0, direction);
            double exact = Along(adjoint, direction), rough = Along(approximate, direction);
            output.WriteLine($"{kind} N={points} tau={tau}: finite differences {numeric}, adjoint {exact}, approximate {rough}");
            Assert.True(Math.Abs(exact - numeric) < 1e-4 * Math.Abs(numeric),
                $"direction {trial}: adjoint {exact}, finite differences {numeric}");
            // The flow term matters here, so the check can tell the adjoint from the approximate gradient.
            Assert.True(Math.Abs(rough - numeric) > 1e-2 * Math.Abs(numeric), $"approximate {rough} vs {numeric}");
        }
    }

    [Fact]
    public void AdjointNeedsTheVelocities()
    {
        using var scope = torch.NewDisposeScope();
        var problem = Make(42);
        var flow = Flow(3, 10, FlowGrid.Linear);
        using var trajectory = flow.Solve(problem.Decoder, problem.Images, torch.zeros(2, Decoder.LatentSize, ScalarType.Float64));
        Assert.Throws<ArgumentException>(() =>
            NesterovAdjoint.FlowIntegral(problem.Decoder, problem.Images, trajectory with { Slopes = null }, flow));
    }
}
