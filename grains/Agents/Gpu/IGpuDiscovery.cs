namespace Granary.Agents.Gpu;

/// <summary>
/// The agent's port to the node's GPUs: which devices exist, and how busy each one is right now.
/// Adapters: NVML (silo/Adapters/Nvml, the real driver) and configuration (ConfiguredGpuDiscovery).
/// A node without GPUs, or without a driver, has zero GPUs: that is a result, not an error.
/// </summary>
public interface IGpuDiscovery
{
    /// <summary>The node's GPUs, ordered by index; empty when there are none.</summary>
    IReadOnlyList<GpuDeviceInfo> Discover();

    /// <summary>Live metrics of the device with this UUID; null when the device is unknown or the
    /// source has no live metrics (configured GPUs).</summary>
    GpuMetrics? ReadMetrics(string uuid);
}
