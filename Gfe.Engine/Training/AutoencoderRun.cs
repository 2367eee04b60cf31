using Gfe.Engine.Losses;
using Gfe.Engine.Models;
using Gfe.Engine.Runs;
using Gfe.Engine.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Gfe.Engine.Training;

/// <summary>
/// The AE (docs/method.md §4): train encoder and decoder together on L = sum_i l_i(D(E(x_i))), one RMSprop step per
/// batch. Evaluated twice: as "AE" (test data through the encoder) and as "Mixed" (the AE's decoder alone, test data
/// encoded with AMD, as GFE-amd would). The rest of the run is the common <see cref="TorchRun"/>.
/// </summary>
public static class AutoencoderRun
{
    public static RunModel Build(RunConfig config, ModelShape shape, Generator generator, Device device)
    {
        var autoencoder = new Autoencoder(shape, generator);
        autoencoder.to(device);
        var solver = new AmdSolver(config.Amd);
        return new RunModel(autoencoder,
            images => ReconstructionLoss.BatchSum(shape.Loss, autoencoder.forward(images), images),
            [
                // The encoder pass is cheap next to AMD, so it gets the first tenth of the test progress.
                new RunEvaluation(Evaluations.Ae, (images, _, _) => autoencoder.forward(images), TestShare: 0.1),
                new RunEvaluation(Evaluations.Mixed,
                    (images, draws, amd) => TestEvaluation.AmdEncode(autoencoder.Decoder, solver, images, config.Z0, draws, amd),
                    TestShare: 0.9),
            ],
            new AmdTally(),
            () => Artifacts.TrainedModel.Capture(autoencoder.Decoder, autoencoder.Encoder));
    }
}
