namespace Granary.Silo.Adapters.Nvml;

/// <summary>Everything NVML told us about one device. MigEnabled and ComputeCapability are null
/// when the device or driver does not report them.</summary>
public sealed record NvmlDevice(
    int Index,
    string Uuid,
    string Name,
    ulong MemoryTotalBytes,
    ulong MemoryUsedBytes,
    int? UtilizationPercent,
    int? MemoryUtilizationPercent,
    bool? MigEnabled,
    string? ComputeCapability);
