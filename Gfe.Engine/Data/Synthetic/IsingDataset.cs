using Gfe.Engine.Data.Files;

namespace Gfe.Engine.Data.Synthetic;

/// <summary>What <c>gfe data synth ising</c> generates: lattice, temperatures, samples and the Wolff schedule.</summary>
public sealed record IsingSettings(
    int Lattice = 28, double MinTemperature = 1.5, double MaxTemperature = 3.5, int Temperatures = 21,
    int PerTemperature = 100, double EquilibrationSweeps = 100, double SweepsBetween = 10, ulong Seed = 0);

/// <summary>Per temperature: the mean |m| of the samples beside Onsager's infinite-lattice value, the equilibration check.</summary>
public sealed record IsingCheck(double Temperature, double MeanAbsMagnetisation, double Onsager);

/// <summary>
/// A dataset of 2-D Ising configurations across the critical point: for each of <see cref="IsingSettings.Temperatures"/>
/// temperatures evenly spaced over [min, max], an independent Wolff chain from a random start, equilibrated for
/// <see cref="IsingSettings.EquilibrationSweeps"/> sweeps, then sampled every <see cref="IsingSettings.SweepsBetween"/>
/// sweeps. Written as <c>ising.npy</c> (uint8 spins 0/1, [N, L, L], in temperature order) and <c>ising-labels.npy</c>
/// (float32 [N, 2]: temperature, magnetisation per spin).
/// </summary>
public static class IsingDataset
{
    public const string SpinsFile = "ising.npy";
    public const string LabelsFile = "ising-labels.npy";

    public static IReadOnlyList<IsingCheck> Write(string folder, IsingSettings settings, IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        if (settings.Lattice < 2 || settings.Temperatures < 1 || settings.PerTemperature < 1 || !(settings.MinTemperature > 0)
            || settings.MaxTemperature < settings.MinTemperature || settings.SweepsBetween <= 0 || settings.EquilibrationSweeps < 0)
            throw new DataInputException("ising: the lattice needs at least 2 sites a side, at least one temperature and sample, 0 < min <= max temperature, positive sweeps");
        int l = settings.Lattice, n = settings.Temperatures * settings.PerTemperature;
        var spins = new byte[(long)n * l * l];
        var labels = new float[n * 2];
        var checks = new List<IsingCheck>();
        int index = 0;
        for (int t = 0; t < settings.Temperatures; t++)
        {
            double temperature = settings.Temperatures == 1 ? settings.MinTemperature
                : settings.MinTemperature + (settings.MaxTemperature - settings.MinTemperature) * t / (settings.Temperatures - 1);
            var sampler = new IsingSampler(l, unchecked(settings.Seed * 1_000_003UL + (ulong)t));
            sampler.Sweeps(temperature, settings.EquilibrationSweeps);
            double sumAbs = 0;
            for (int s = 0; s < settings.PerTemperature; s++)
            {
                cancel.ThrowIfCancellationRequested();
                sampler.Sweeps(temperature, settings.SweepsBetween);
                var configuration = sampler.Snapshot(temperature);
                configuration.Spins.CopyTo(spins, (long)index * l * l);
                labels[2 * index] = (float)temperature;
                labels[2 * index + 1] = (float)configuration.Magnetisation;
                sumAbs += Math.Abs(configuration.Magnetisation);
                index++;
            }
            checks.Add(new IsingCheck(temperature, sumAbs / settings.PerTemperature, IsingSampler.Onsager(temperature)));
            progress?.Report((t + 1.0) / settings.Temperatures);
        }
        Directory.CreateDirectory(folder);
        using (var file = File.Create(Path.Combine(folder, SpinsFile))) NpyFile.Write(file, spins, [n, l, l]);
        NpyFile.Write(Path.Combine(folder, LabelsFile), labels, [n, 2]);
        return checks;
    }
}
