using Gfe.Grains;
using Xunit;

namespace Gfe.Tests.Grains;

public sealed class SiloCapabilitiesTests
{
    [Fact]
    public void Metadata_reads_back_as_the_same_capabilities()
    {
        var gpuSilo = new SiloCapabilities(SiloCapabilities.CudaDevice, Gpus: 4, Slots: 4, ThreadsPerJob: 1);

        var metadata = gpuSilo.ToMetadata();

        Assert.Equal("cuda", metadata[SiloCapabilities.DeviceKey]);
        Assert.Equal("4", metadata[SiloCapabilities.GpusKey]);
        Assert.Equal(gpuSilo, SiloCapabilities.FromMetadata(metadata));
    }

    [Fact]
    public void Operator_labels_are_kept_but_cannot_claim_a_gpu()
    {
        var cpuSilo = new SiloCapabilities(SiloCapabilities.CpuDevice, Gpus: 0, Slots: 2, ThreadsPerJob: 1);
        var labels = new Dictionary<string, string> { ["zone"] = "lab-a", [SiloCapabilities.GpusKey] = "8", [SiloCapabilities.DeviceKey] = "cuda" };

        var metadata = cpuSilo.ToMetadata(labels);

        Assert.Equal("lab-a", metadata["zone"]);
        Assert.Equal("0", metadata[SiloCapabilities.GpusKey]);
        Assert.Equal("cpu", metadata[SiloCapabilities.DeviceKey]);
    }

    [Fact]
    public void Metadata_of_a_silo_that_is_not_a_gfe_silo_or_is_malformed_gives_no_capabilities()
    {
        Assert.Null(SiloCapabilities.FromMetadata(new Dictionary<string, string> { ["zone"] = "lab-a" }));
        var malformed = new SiloCapabilities(SiloCapabilities.CpuDevice, 0, 2, 1).ToMetadata();
        malformed[SiloCapabilities.SlotsKey] = "-2";
        Assert.Null(SiloCapabilities.FromMetadata(malformed));
    }

    [Fact]
    public void Detection_takes_the_slots_from_the_options_and_one_thread_per_run()
    {
        var detected = SiloCapabilities.Detect(new GfeSiloOptions { Slots = 3 });

        Assert.Equal(3, detected.Slots);
        Assert.Equal(SiloCapabilities.EngineThreadsPerJob, detected.ThreadsPerJob);
        // This machine's libtorch is the CPU build; a cuda silo must report at least one GPU.
        Assert.Equal(detected.Gpus > 0 ? SiloCapabilities.CudaDevice : SiloCapabilities.CpuDevice, detected.Device);
    }
}
