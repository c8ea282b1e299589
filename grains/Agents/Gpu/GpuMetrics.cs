namespace Granary.Agents.Gpu;

/// <summary>A GPU's live load. UtilizationPercent is the share of the last sample period in which a
/// kernel ran (NVML's "gpu" utilisation); null when the device does not report it.</summary>
public sealed record GpuMetrics(string Uuid, int? UtilizationPercent, long MemoryUsedBytes, long MemoryTotalBytes);
