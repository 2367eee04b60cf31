using Gfe.Engine.Flows;
using Gfe.Engine.Runs;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>The fixed-grid RK4 flows against ODEs with known solutions, with plain functions as gradients.</summary>
public class LatentFlowTests
{
    /// <summary>y' = -y + sin t, y(0) = 1: y = 1.5 e^-t + (sin t - cos t)/2 (non-autonomous, so the stage times matter).</summary>
    static double RkError(int steps)
    {
        const double end = 2.0;
        Tensor f(double t, Tensor y) => -y + Math.Sin(t);
        var y = torch.tensor(new[] { 1.0 }, ScalarType.Float64);
        double h = end / steps;
        for (int k = 0; k < steps; k++)
            y = Rk4.Step(f, k * h, h, y, f(k * h, y));
        double exact = 1.5 * Math.Exp(-end) + (Math.Sin(end) - Math.Cos(end)) / 2;
        return Math.Abs(y.item<double>() - exact);
    }

    [Fact]
    public void Rk4ThreeEighthsRuleIsFourthOrder()
    {
        using var scope = torch.NewDisposeScope();
        double coarse = RkError(10), fine = RkError(20), finer = RkError(40);
        double order1 = Math.Log2(coarse / fine), order2 = Math.Log2(fine / finer);
        Assert.InRange(order1, 3.7, 4.3);
        Assert.InRange(order2, 3.7, 4.3);
    }

    [Fact]
    public void Rk4StepIsTheThreeEighthsRuleExactly()
    {
        // f(t, y) = t^3 has k1..k4 = t^3 at t, t+h/3, t+2h/3, t+h; the 3/8 rule integrates cubics exactly.
        using var scope = torch.NewDisposeScope();
        var y = Rk4.Step((t, _) => torch.tensor(t * t * t, ScalarType.Float64), 1.0, 0.5, torch.tensor(0.0, ScalarType.Float64),
            torch.tensor(1.0, ScalarType.Float64));
        Assert.Equal((Math.Pow(1.5, 4) - 1) / 4, y.item<double>(), 12);
    }

    [Fact]
    public void GridsFollowTheSpec()
    {
        var linear = TimeGrid.From(new FlowOptions { Points = 5, Tau = 100 });
        Assert.Equal([0.0, 25, 50, 75, 100], linear.Times);
        Assert.Equal(1.0, linear.Alpha(60));

        var log = TimeGrid.From(new FlowOptions { Points = 3, Tau = 100, Grid = FlowGrid.Log, LogBase = 4 });
        Assert.Equal(0.0, log.Times[0]);
        Assert.Equal(25.0 * (2 - 1), log.Times[1], 12);
        Assert.Equal(75.0, log.Times[2], 12);   // the paper's grid ends at tau(1 - 1/b)
        Assert.Equal(Math.Exp(-1.5), log.Alpha(75), 12);

        Assert.Contains("flow.points", TimeGrid.Problem(new FlowOptions { Points = 1 }));
        Assert.Contains("flow.logBase", TimeGrid.Problem(new FlowOptions { LogBase = 1 }));
    }

    [Fact]
    public void GradientFlowOnTheLogGridMatchesTheClosedForm()
    {
        // l = lambda z^2 / 2 with alpha = exp(-2t/tau): z(t) = z0 exp(-lambda tau/2 (1 - exp(-2t/tau))).
        using var scope = torch.NewDisposeScope();
        const double lambda = 0.3, tau = 10;
        var grid = TimeGrid.From(new FlowOptions { Points = 41, Tau = tau, Grid = FlowGrid.Log });
        var z0 = torch.tensor(new[] { 1.0, -2.0 }, [2, 1], ScalarType.Float64);
        using var trajectory = new GradientFlow(grid).Solve(z => z * lambda, z0);

        Assert.Equal(41, trajectory.States.Count);
        double end = grid.Times[^1];
        double factor = Math.Exp(-lambda * tau / 2 * (1 - Math.Exp(-2 * end / tau)));
        Assert.Equal(factor, trajectory.Final[0, 0].item<double>(), 7);
        Assert.Equal(-2 * factor, trajectory.Final[1, 0].item<double>(), 7);
        // The slopes are dz/dt = -alpha lambda z at the grid points.
        Assert.Equal(-Math.Exp(-2 * end / tau) * lambda * factor, trajectory.Slopes![^1][0, 0].item<double>(), 7);
    }

    [Fact]
    public void HostGradientFlowOnTheLogGridMatchesTheClosedForm()
    {
        // The native kernel's flow loops (HostFlow), float32, on the same problem: l = lambda z^2 / 2, alpha = exp(-2t/tau).
        const double lambda = 0.3, tau = 10;
        var grid = TimeGrid.From(new FlowOptions { Points = 41, Tau = tau, Grid = FlowGrid.Log });
        var flow = new HostFlow(grid, nesterov: false, 1e-5);
        var trajectory = flow.Solve((z, g) => { for (int i = 0; i < z.Length; i++) g[i] = z[i] * (float)lambda; }, [1f, -2f], keepPath: true);

        Assert.Equal(41, trajectory.States!.Count);
        double end = grid.Times[^1];
        double factor = Math.Exp(-lambda * tau / 2 * (1 - Math.Exp(-2 * end / tau)));
        Assert.Equal(factor, trajectory.Final[0], 5);
        Assert.Equal(-2 * factor, trajectory.Final[1], 5);
        Assert.Equal(trajectory.Final, trajectory.States[^1]);
        Assert.Equal(-Math.Exp(-2 * end / tau) * lambda * factor, trajectory.Slopes![^1][0], 5);
        // Without the path: the same z*, bit for bit.
        Assert.Equal(trajectory.Final, flow.Solve((z, g) => { for (int i = 0; i < z.Length; i++) g[i] = z[i] * (float)lambda; }, [1f, -2f], keepPath: false).Final);
    }

    [Fact]
    public void HostNesterovFlowOnAQuadraticMatchesTheBesselSolution()
    {
        const double lambda = 0.25, c = 1.5, tau = 16;
        var grid = TimeGrid.From(new FlowOptions { Points = 801, Tau = tau });
        var trajectory = new HostFlow(grid, nesterov: true, 1e-5).Solve(
            (z, g) => g[0] = (z[0] - (float)c) * (float)lambda, [0f], keepPath: true);

        double Exact(double t) => t == 0 ? 0 : c * (1 - 2 * BesselJ1(Math.Sqrt(lambda) * t) / (Math.Sqrt(lambda) * t));
        for (int k = 0; k < grid.Times.Count; k += 100)
            Assert.Equal(Exact(grid.Times[k]), trajectory.States![k][0], 4);
        Assert.Equal(Exact(tau), trajectory.Final[0], 4);
        Assert.True(trajectory.States!.Max(s => s[0]) > c);
        // The slopes are the velocities m = dz/dt: the trajectory's central differences agree with them.
        double h = grid.Times[1] - grid.Times[0];
        Assert.Equal((trajectory.States![401][0] - trajectory.States[399][0]) / (2 * h), trajectory.Slopes![400][0], 3);
    }

    /// <summary>J_1 by its power series (accurate to ~1e-12 for x below 10).</summary>
    static double BesselJ1(double x)
    {
        double term = x / 2, sum = term;
        for (int m = 1; m < 60; m++)
        {
            term *= -(x / 2) * (x / 2) / (m * (m + 1.0));
            sum += term;
        }
        return sum;
    }

    [Fact]
    public void NesterovFlowOnAQuadraticMatchesTheBesselSolution()
    {
        // l = lambda (z - c)^2 / 2, alpha = 1, from rest at 0: z'' + 3/t z' + lambda (z - c) = 0 gives
        // z(t) = c (1 - 2 J_1(sqrt(lambda) t) / (sqrt(lambda) t)).
        using var scope = torch.NewDisposeScope();
        const double lambda = 0.25, c = 1.5, tau = 16;
        var grid = TimeGrid.From(new FlowOptions { Points = 801, Tau = tau });
        using var trajectory = new NesterovFlow(grid, 1e-5).Solve(z => (z - c) * lambda, torch.zeros(1, 1, ScalarType.Float64));

        double Exact(double t) => t == 0 ? 0 : c * (1 - 2 * BesselJ1(Math.Sqrt(lambda) * t) / (Math.Sqrt(lambda) * t));
        for (int k = 0; k < grid.Times.Count; k += 100)
            Assert.Equal(Exact(grid.Times[k]), trajectory.States[k][0, 0].item<double>(), 4);
        Assert.Equal(Exact(tau), trajectory.Final[0, 0].item<double>(), 4);
        // It overshoots c on the way (momentum), which plain gradient flow never does.
        Assert.True(trajectory.States.Max(s => s[0, 0].item<double>()) > c);
    }
}
