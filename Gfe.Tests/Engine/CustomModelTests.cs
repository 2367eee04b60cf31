using Gfe.Engine.Flows;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>
/// A model other than the paper's (latent 8, hidden [64, 32], tanh, MSE, 30 real-valued features): the latent
/// gradient, the decoder gradient, the hand-written R-pass and the exact adjoint against central finite differences,
/// in float64 (float32 differences are too noisy to resolve them).
/// </summary>
public sealed class CustomModelTests(ITestOutputHelper output)
{
    const int Features = 30;
    const int Batch = 3;
    static readonly ModelShape Shape = new(8, [64, 32], Features, Activation.Tanh, LossKind.Mse);

    static (Decoder Decoder, Tensor Data) Make(ModelShape shape, int seed)
    {
        using var generator = new Generator((ulong)seed, CPU);
        var decoder = new Decoder(shape, generator);
        decoder.to(ScalarType.Float64);
        // Real-valued targets for MSE; in [0, 1] for BCE.
        var data = shape.Loss == LossKind.Mse
            ? torch.randn(Batch, shape.OutputDim, ScalarType.Float64, generator: generator)
            : torch.rand(Batch, shape.OutputDim, ScalarType.Float64, generator: generator);
        return (decoder, data);
    }

    [Fact]
    public void The_model_has_the_requested_layers_and_the_encoder_mirrors_them()
    {
        using var generator = new Generator(1, CPU);
        using var autoencoder = new Autoencoder(Shape, generator);

        Assert.Equal([(64, 8), (32, 64), (30, 32)], autoencoder.Decoder.Layers.Select(l => ((int)l.weight!.shape[0], (int)l.weight!.shape[1])));
        Assert.Equal(Shape, autoencoder.Decoder.Shape);
        Assert.Equal(Shape.DecoderParameters, autoencoder.Decoder.parameters().Sum(p => p.numel()));
        using var data = torch.rand(Batch, Features, generator: generator);
        using var codes = autoencoder.Encoder.forward(data);
        Assert.Equal([Batch, 8L], codes.shape);
        Assert.Equal(["layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias", "latent.weight", "latent.bias"],
            autoencoder.Encoder.named_parameters().Select(p => p.name));
        Assert.Equal([(32, 30), (64, 32), (8, 64)], autoencoder.Encoder.parameters().Where(p => p.dim() == 2).Select(p => ((int)p.shape[0], (int)p.shape[1])));
    }

    [Fact]
    public void Latent_gradient_matches_central_finite_differences()
    {
        using var scope = torch.NewDisposeScope();
        var (decoder, x) = Make(Shape, 11);
        using var generator = new Generator(2, CPU);
        var z = torch.randn(Batch, Shape.LatentDim, ScalarType.Float64, generator: generator);

        var gradient = LatentGradient.Of(decoder, x, z);

        const double h = 1e-6;
        using var noGrad = torch.no_grad();
        double L(Tensor at) => ReconstructionLoss.BatchSum(LossKind.Mse, decoder.forward(at), x).item<double>();
        for (int i = 0; i < Batch; i++)
        for (int k = 0; k < Shape.LatentDim; k++)
        {
            var plus = z.clone();
            var minus = z.clone();
            plus[i, k] = plus[i, k] + h;
            minus[i, k] = minus[i, k] - h;
            double numeric = (L(plus) - L(minus)) / (2 * h);
            double analytic = gradient[i, k].item<double>();
            Assert.True(Math.Abs(numeric - analytic) <= 1e-8 + 1e-6 * Math.Abs(analytic),
                $"dL/dz[{i},{k}]: autograd {analytic}, finite differences {numeric}");
        }
    }

    [Fact]
    public void Decoder_gradient_matches_central_finite_differences()
    {
        using var scope = torch.NewDisposeScope();
        var (decoder, x) = Make(Shape, 12);
        using var generator = new Generator(3, CPU);
        var z = torch.randn(Batch, Shape.LatentDim, ScalarType.Float64, generator: generator);
        var parameters = decoder.parameters().ToArray();
        Assert.Equal(6, parameters.Length);

        ReconstructionLoss.BatchSum(LossKind.Mse, decoder.forward(z), x).backward();

        double L()
        {
            using var noGrad = torch.no_grad();
            return ReconstructionLoss.BatchSum(LossKind.Mse, decoder.forward(z), x).item<double>();
        }
        const double h = 1e-6;
        for (int j = 0; j < parameters.Length; j++)
        {
            var u = torch.randn(parameters[j].shape, ScalarType.Float64, generator: generator);
            using (torch.no_grad()) parameters[j].add_(u, alpha: h);
            double plus = L();
            using (torch.no_grad()) parameters[j].add_(u, alpha: -2 * h);
            double minus = L();
            using (torch.no_grad()) parameters[j].add_(u, alpha: h);
            double numeric = (plus - minus) / (2 * h);
            double analytic = (parameters[j].grad! * u).sum().item<double>();
            Assert.True(Math.Abs(analytic - numeric) < 1e-6 * Math.Abs(numeric) + 1e-9,
                $"parameter tensor {j}: autograd {analytic}, finite differences {numeric}");
        }
    }

    /// <summary>The R-pass for every activation and both losses: H v and d/dtheta [v . grad_z L] against finite
    /// differences of autograd's gradients.</summary>
    [Theory]
    [InlineData(Activation.Elu, LossKind.Mse)]
    [InlineData(Activation.Relu, LossKind.Mse)]
    [InlineData(Activation.Tanh, LossKind.Mse)]
    [InlineData(Activation.Silu, LossKind.Mse)]
    [InlineData(Activation.Tanh, LossKind.Bce)]
    [InlineData(Activation.Silu, LossKind.Bce)]
    public void R_pass_matches_finite_differences_for_every_activation_and_loss(Activation activation, LossKind loss)
    {
        using var scope = torch.NewDisposeScope();
        var shape = Shape with { Activation = activation, Loss = loss };
        var (decoder, x) = Make(shape, 13);
        using var generator = new Generator(4, CPU);
        var z = torch.randn(Batch, shape.LatentDim, ScalarType.Float64, generator: generator) * 2;
        var v = torch.randn(Batch, shape.LatentDim, ScalarType.Float64, generator: generator);
        var parameters = decoder.parameters().ToArray();
        var sum = parameters.Select(p => torch.zeros_like(p)).ToArray();

        var pass = DecoderRPass.Run(decoder, x, z, v, sum);

        const double h = 1e-5;
        var numeric = (LatentGradient.Of(decoder, x, z + v * h) - LatentGradient.Of(decoder, x, z - v * h)) / (2 * h);
        Assert.True(pass.Gradient.allclose(LatentGradient.Of(decoder, x, z), rtol: 1e-10, atol: 1e-14), "R-pass gradient differs from autograd");
        double scale = numeric.abs().max().item<double>();
        Assert.True(scale > 1e-6, "the Hessian-vector product should not vanish");
        double error = (pass.HessianVector - numeric).abs().max().item<double>();
        Assert.True(error < 1e-6 * scale, $"H v off by {error} (scale {scale})");

        // Random directions over a whole weight matrix are long (|u| ~ 45), so the step is smaller here: the central
        // difference's truncation error grows with |u|^3.
        double Directional() => (v * LatentGradient.Of(decoder, x, z)).sum().item<double>();
        const double hp = 1e-6;
        for (int j = 0; j < parameters.Length; j++)
        {
            var u = torch.randn(parameters[j].shape, ScalarType.Float64, generator: generator);
            using (torch.no_grad()) parameters[j].add_(u, alpha: hp);
            double plus = Directional();
            using (torch.no_grad()) parameters[j].add_(u, alpha: -2 * hp);
            double minus = Directional();
            using (torch.no_grad()) parameters[j].add_(u, alpha: hp);
            double expected = (plus - minus) / (2 * hp);
            double analytic = (sum[j] * u).sum().item<double>();
            Assert.True(Math.Abs(analytic - expected) < 1e-6 * Math.Abs(expected) + 1e-10,
                $"parameter tensor {j}: R-pass {analytic}, finite differences {expected}");
        }
    }

    [Fact]
    public void Exact_adjoint_matches_finite_differences_of_the_unrolled_flow()
    {
        using var scope = torch.NewDisposeScope();
        var (decoder, x) = Make(Shape, 14);
        var parameters = decoder.parameters().ToArray();
        var grid = TimeGrid.From(new FlowOptions { Points = 41, Tau = 20, Grid = FlowGrid.Linear });
        var z0 = torch.zeros(Batch, Shape.LatentDim, ScalarType.Float64);

        double Unrolled()
        {
            using var inner = torch.NewDisposeScope();
            using var trajectory = new GradientFlow(grid).Solve(decoder, x, z0);
            using var noGrad = torch.no_grad();
            return ReconstructionLoss.BatchSum(LossKind.Mse, decoder.forward(trajectory.Final), x).item<double>();
        }

        var solved = new GradientFlow(grid).Solve(decoder, x, z0);
        var integral = AdjointGradient.FlowIntegral(decoder, x, solved, grid.Alpha, AdjointStepper.Rk4);
        var loss = ReconstructionLoss.BatchSum(LossKind.Mse, decoder.forward(solved.Final), x);
        decoder.zero_grad();
        loss.backward(retain_graph: true);
        var approximate = parameters.Select(p => p.grad!.clone()).ToArray();
        decoder.zero_grad();
        AdjointGradient.WithFlowCorrection(loss, decoder, integral).backward();
        var exact = parameters.Select(p => p.grad!.clone()).ToArray();

        using var generator = new Generator(5, CPU);
        const double h = 1e-5;
        for (int trial = 0; trial < 3; trial++)
        {
            var direction = parameters.Select(p => torch.randn(p.shape, ScalarType.Float64, generator: generator)).ToArray();
            void Shift(double by)
            {
                using var noGrad = torch.no_grad();
                for (int j = 0; j < direction.Length; j++) parameters[j].add_(direction[j], alpha: by);
            }
            Shift(h);
            double plus = Unrolled();
            Shift(-2 * h);
            double minus = Unrolled();
            Shift(h);
            double numeric = (plus - minus) / (2 * h);
            double adjoint = exact.Zip(direction, (g, u) => (g * u).sum().item<double>()).Sum();
            double rough = approximate.Zip(direction, (g, u) => (g * u).sum().item<double>()).Sum();
            output.WriteLine($"finite differences {numeric}, adjoint {adjoint}, approximate {rough}");
            Assert.True(Math.Abs(adjoint - numeric) < 1e-3 * Math.Abs(numeric), $"direction {trial}: adjoint {adjoint}, finite differences {numeric}");
            // The flow term matters here, so the check can tell the adjoint from the approximate gradient.
            Assert.True(Math.Abs(rough - numeric) > 10 * Math.Abs(adjoint - numeric));
        }
    }

    [Fact]
    public void Amd_encodes_with_the_models_loss_and_lowers_it()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(6, CPU);
        var decoder = new Decoder(Shape, generator);
        var x = torch.randn(Batch, Features, generator: generator);
        var z0 = LatentStart.Draw(LatentInit.Zero, Batch, Shape.LatentDim, generator, CPU);
        var solver = new AmdSolver(new AmdOptions { Tau = 200 });

        var solution = solver.Solve(decoder, x, z0);

        using var noGrad = torch.no_grad();
        double before = ReconstructionLoss.BatchSum(LossKind.Mse, decoder.forward(z0), x).item<float>();
        double after = ReconstructionLoss.BatchSum(LossKind.Mse, decoder.forward(solution.Latent), x).item<float>();
        Assert.Equal([Batch, 8L], solution.Latent.shape);
        Assert.True(after < 0.95 * before, $"AMD should lower the MSE: {before} -> {after}");
        // MSE of y = x is zero; the same output under BCE would not be.
        Assert.Equal(0.0, ReconstructionLoss.PerImage(LossKind.Mse, x, x).sum().item<float>());
    }

    /// <summary>Whole runs of every method with the non-default model: each trains, and its test loss is the MSE of
    /// the reconstructions it returns (with zero latent starts the reconstructions repeat the test's encodings).</summary>
    [Theory]
    [InlineData(RunMethod.GfeAmd, GradientMode.Approximate, "GFE-amd")]
    [InlineData(RunMethod.GfeAmd, GradientMode.Adjoint, "GFE-amd")]
    [InlineData(RunMethod.GfeRk4, GradientMode.Adjoint, "GFE-rk4")]
    [InlineData(RunMethod.GfeNesterov, GradientMode.Adjoint, "GFE-2nd")]
    [InlineData(RunMethod.Ae, GradientMode.Approximate, "AE")]
    public void Every_method_runs_the_custom_model_and_reports_the_mse_of_its_reconstructions(RunMethod method, GradientMode gradient, string column)
    {
        var config = new RunConfig
        {
            Method = method, Gradient = gradient, Dataset = "synthetic", TrainSize = 16, BatchSize = 8,
            TestSize = 4, TestBatchSize = 4, Reconstructions = 4, Seed = 3, Z0 = LatentInit.Zero,
            Amd = new AmdOptions { Tau = 200 }, Flow = new FlowOptions { Points = 21, Tau = 50 },
            LatentDim = 8, Hidden = [64, 32], Activation = Activation.Tanh, Loss = LossKind.Mse,
        };
        var data = SyntheticImages.Splits(trainCount: 20, testCount: 4);

        var result = RunExecutor.Execute(config, data, null, CancellationToken.None);

        var originals = result.Reconstructions!.Originals;
        var reconstructed = result.Reconstructions.Reconstructed[column];
        double mse = originals.Zip(reconstructed, (x, y) => (double)(y - x) * (y - x)).Sum() / originals.Length;
        output.WriteLine($"{method} {gradient}: test loss {result.TestLoss[column]}, MSE of the reconstructions {mse}");
        Assert.Equal(16, result.ImagesSeen);
        Assert.True(double.IsFinite(result.FinalTrainLoss));
        Assert.Equal(mse, result.TestLoss[column], 1e-6 * mse);
        // MSE reconstructions are the linear output, not squashed into [0, 1] by a sigmoid.
        Assert.Contains(reconstructed, value => value < 0 || value > 1);
    }
}
