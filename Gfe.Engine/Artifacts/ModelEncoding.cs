using Gfe.Engine.Data;
using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using Gfe.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Artifacts;

/// <summary>One encoded batch: latent codes [n, latent], reconstructions [n, D] in the data's own units (the inverse
/// of the model's normalisation; for loss bce the sigmoid of the logits first) and each sample's loss.</summary>
public sealed record EncodedBatch(float[] Latents, float[] Reconstructions, double[] Losses);

/// <summary>
/// Encodes new data explicitly with a saved model (<see cref="ModelArtifact"/>): AMD through the trained decoder for a
/// GFE model (and for an AE with <c>amd</c>), the trained encoder for an AE. It uses the run's own AMD settings,
/// latent start and seed, so encoding a run's test set in the run's test batches reproduces the run's test loss
/// exactly when the latent start is zero (with uniform starts the draws differ from the run's, so only the mean
/// agrees). Batches are independent: memory does not grow with the input.
/// </summary>
public sealed class ModelEncoding : IDisposable
{
    readonly ModelArtifact artifact;
    readonly Generator generator;
    readonly Decoder decoder;
    readonly Encoder? encoder;
    readonly AmdSolver solver;
    readonly Device device = RunInputs.ChooseDevice();

    public ModelEncoding(ModelArtifact artifact, bool useAmd, AmdMode? amdMode = null)
    {
        this.artifact = artifact;
        Config = RunParameters.FromDictionary(artifact.Settings);
        if (amdMode is { } mode) Config = Config with { Amd = Config.Amd with { Mode = mode } };
        // The run's settings name the model; the saved weights must be exactly that model's.
        Shape = Config.Model(artifact.FeatureCount);
        if (!TrainedModel.Widths(artifact.Model.Decoder).SequenceEqual(Shape.Widths))
            throw new Data.Files.DataInputException(
                $"model {artifact.RunKey}: decoder widths [{string.Join(", ", TrainedModel.Widths(artifact.Model.Decoder))}] " +
                $"are not those of its settings [{string.Join(", ", Shape.Widths)}]");
        torch.set_num_threads(1);
        generator = new Generator((ulong)Config.Seed, torch.CPU);
        decoder = new Decoder(Shape, generator);
        Load(decoder, artifact.Model.Decoder, "decoder");
        decoder.to(device);
        if (!useAmd && artifact.Model.Encoder is { } weights)
        {
            encoder = new Encoder(Shape, generator);
            Load(encoder, weights, "encoder");
            encoder.to(device);
        }
        solver = new AmdSolver(Config.Amd);
        UsesAmd = encoder is null;
    }

    /// <summary>The run's settings (with the AMD mode asked for).</summary>
    public RunConfig Config { get; }

    /// <summary>True when codes are found by AMD, false when the AE's encoder computes them.</summary>
    public bool UsesAmd { get; }

    /// <summary>The saved model's shape (widths, activation, loss).</summary>
    public ModelShape Shape { get; }

    /// <summary>The width of a latent code.</summary>
    public int LatentDim => Shape.LatentDim;

    /// <summary>Encodes <paramref name="count"/> samples given in the model's units (already normalised).</summary>
    public EncodedBatch Encode(float[] normalized, int count)
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.tensor(normalized, [count, artifact.FeatureCount]).clone().to(device);
        Tensor latent;
        if (encoder is not null)
        {
            using var noGrad = torch.no_grad();
            latent = encoder.forward(images);
        }
        else
        {
            var z0 = LatentStart.Draw(Config.Z0, count, Shape.LatentDim, generator, device);
            latent = solver.Solve(decoder, images, z0).Latent;
        }
        using var noGrad2 = torch.no_grad();
        var logits = decoder.forward(latent);
        var losses = ReconstructionLoss.PerImage(Shape.Loss, logits, images).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        var reconstructed = ReconstructionLoss.Reconstruction(Shape.Loss, logits).cpu().data<float>().ToArray();
        return new EncodedBatch(latent.cpu().data<float>().ToArray(), artifact.Normalization.Invert(reconstructed), losses);
    }

    static void Load(nn.Module module, IReadOnlyList<NamedTensor> weights, string what)
    {
        using var noGrad = torch.no_grad();
        var parameters = module.parameters().ToList();
        if (parameters.Count != weights.Count)
            throw new Data.Files.DataInputException($"the saved {what} has {weights.Count} tensors, the model {parameters.Count}");
        for (int i = 0; i < parameters.Count; i++)
        {
            var shape = parameters[i].shape.Select(d => (int)d).ToArray();
            if (!shape.SequenceEqual(weights[i].Shape))
                throw new Data.Files.DataInputException(
                    $"the saved {what} tensor {weights[i].Name} has shape [{string.Join(", ", weights[i].Shape)}], the model [{string.Join(", ", shape)}]");
            parameters[i].copy_(torch.tensor(weights[i].Values, parameters[i].shape));
        }
    }

    public void Dispose()
    {
        decoder.Dispose();
        encoder?.Dispose();
        generator.Dispose();
    }
}
