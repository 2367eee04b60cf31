using System.Globalization;

namespace Gfe.Grains;

/// <summary>
/// What one silo offers to run training on: its device, GPUs, job slots and the threads each run uses. Every silo
/// advertises it as Orleans silo metadata, which the cluster's membership carries to every other silo, so that a
/// placement rule (e.g. "GFE runs with a GPU device go to silos with gfe.gpus > 0") can read it without asking.
/// </summary>
public sealed record SiloCapabilities(string Device, int Gpus, int Slots, int ThreadsPerJob)
{
    /// <summary>The engine trains each run on one thread (torch.set_num_threads(1)) so that runs go side by side.</summary>
    public const int EngineThreadsPerJob = 1;

    public const string CpuDevice = "cpu";
    public const string CudaDevice = "cuda";

    /// <summary>The silo metadata keys; prefixed so that they never collide with Orleans' own or an operator's.</summary>
    public const string DeviceKey = "gfe.device";
    public const string GpusKey = "gfe.gpus";
    public const string SlotsKey = "gfe.slots";
    public const string ThreadsPerJobKey = "gfe.threadsPerJob";

    /// <summary>This process's capabilities: the device libtorch sees and the slots the options give.</summary>
    public static SiloCapabilities Detect(GfeSiloOptions options)
    {
        var gpus = options.SimulatedGpus ?? ComputeDevice.GpuCount();
        return new(gpus > 0 ? CudaDevice : CpuDevice, gpus, options.Slots, EngineThreadsPerJob);
    }

    /// <summary>The capabilities as silo metadata entries, after the operator's extra labels (which cannot
    /// override a detected capability: a silo must not claim a GPU it does not have).</summary>
    public Dictionary<string, string> ToMetadata(IReadOnlyDictionary<string, string>? labels = null)
    {
        var metadata = new Dictionary<string, string>(labels ?? new Dictionary<string, string>());
        metadata[DeviceKey] = Device;
        metadata[GpusKey] = Gpus.ToString(CultureInfo.InvariantCulture);
        metadata[SlotsKey] = Slots.ToString(CultureInfo.InvariantCulture);
        metadata[ThreadsPerJobKey] = ThreadsPerJob.ToString(CultureInfo.InvariantCulture);
        return metadata;
    }

    /// <summary>Reads another silo's metadata back; null if it is not a GFE silo or advertises malformed values.</summary>
    public static SiloCapabilities? FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(DeviceKey, out var device)) return null;
        return Number(GpusKey) is int gpus && Number(SlotsKey) is int slots && Number(ThreadsPerJobKey) is int threads
            ? new SiloCapabilities(device, gpus, slots, threads)
            : null;

        int? Number(string key) =>
            metadata.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                ? value
                : null;
    }

    public override string ToString() =>
        $"{(Gpus > 0 ? $"{Device} ({Gpus} GPUs)" : Device)}, {Slots} job slots x {ThreadsPerJob} thread{(ThreadsPerJob == 1 ? "" : "s")}";
}
