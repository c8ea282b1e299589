namespace Granary.Silo.Adapters.Nvml;

/// <summary>Everything NVML told us about one device. MigEnabled, ComputeCapability and Sms are null when the
/// device or driver does not report them; MigInstances lists the MIG devices of a GPU in MIG mode.</summary>
public sealed record NvmlDevice(
    int Index,
    string Uuid,
    string Name,
    ulong MemoryTotalBytes,
    ulong MemoryUsedBytes,
    int? UtilizationPercent,
    int? MemoryUtilizationPercent,
    bool? MigEnabled,
    string? ComputeCapability,
    int? Sms = null,
    IReadOnlyList<NvmlMigInstance>? MigInstances = null);

/// <summary>A MIG device: its own UUID ("MIG-…"), profile (e.g. "1g.10gb"), memory and SMs.</summary>
public sealed record NvmlMigInstance(string Uuid, string Name, string Profile, ulong MemoryTotalBytes, int? Sms);
