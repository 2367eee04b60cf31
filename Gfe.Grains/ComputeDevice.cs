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
    /// (such a silo can still run simulated runs, so it must not fail here).</summary>
    public static int GpuCount()
    {
        try
        {
            return torch.cuda.is_available() ? torch.cuda.device_count() : 0;
        }
        catch (Exception)
        {
            return 0;
        }
    }
}
