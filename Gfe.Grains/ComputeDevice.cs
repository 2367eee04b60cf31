using TorchSharp;

namespace Gfe.Grains;

/// <summary>Which device this process trains on, as silos report it at start.</summary>
public static class ComputeDevice
{
    /// <summary>"cuda (N devices)" or "cpu"; if libtorch cannot even load, says so instead of throwing, so that a
    /// silo without working torch still starts (simulated runs need none).</summary>
    public static string Describe()
    {
        try
        {
            return torch.cuda.is_available() ? $"cuda ({torch.cuda.device_count()} devices)" : "cpu";
        }
        catch (Exception e)
        {
            return $"unknown (libtorch did not load: {e.GetType().Name}: {e.Message})";
        }
    }

    /// <summary>GPUs libtorch can train on: 0 for a CPU build, a machine without a GPU, or libtorch failing to load
    /// (such a silo can still run simulated runs, so it must not fail here).
    /// <para>The CPU build (TorchBackend=cpu, Directory.Build.props) ships a libtorch without CUDA, so its answer is
    /// known without asking: loading libtorch only to hear "0" costs a silo, and the client in local mode, about
    /// 110 MB of resident memory before any run needs it (docs/performance.md, "Large sweeps").</para></summary>
    public static int GpuCount()
    {
#if !GFE_CUDA
        return 0;
#else
        try
        {
            return torch.cuda.is_available() ? torch.cuda.device_count() : 0;
        }
        catch (Exception)
        {
            return 0;
        }
#endif
    }
}
