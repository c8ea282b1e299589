namespace Granary.Agents.Gpu;

/// <summary>A GPU's live load. UtilizationPercent is the share of the last sample period in which a
/// kernel ran (NVML's "gpu" utilisation); null when the device does not report it. Processes: the compute
/// processes on it, null when the source cannot list them.</summary>
public sealed record GpuMetrics(
    string Uuid,
    int? UtilizationPercent,
    long MemoryUsedBytes,
    long MemoryTotalBytes,
    IReadOnlyList<GpuProcess>? Processes = null);

/// <summary>A process with a context on a GPU; ContainerId is the container it runs in (from its cgroup), null when
/// it runs outside any container or the source cannot tell.</summary>
public sealed record GpuProcess(int Pid, long UsedMemoryBytes, string? ContainerId);
