namespace Gfe.Engine.Runs;

/// <summary>Where a run may train: the cluster's scheduler places <see cref="Gpu"/> runs on GPU silos only, and
/// <see cref="Any"/> runs on GPU silos first and on CPU silos when the GPU silos are full.</summary>
public enum RunDevice
{
    /// <summary>Any silo (the default; such runs keep the keys they had before the setting existed).</summary>
    Any,

    /// <summary>Only a silo that advertises at least one GPU; the run waits for one if none is free.</summary>
    Gpu,
}
