namespace Granary.Agents;

/// <summary>
/// One GPU (or MIG instance) as its agent sees it now: what it is, who holds which share (session id → milli-GPU),
/// its last sample (utilisation and memory used: null when the source has no live metrics), the compute processes on
/// it with the session each belongs to (null: the source cannot list them), where the device came from (Source:
/// "nvml", "mock" or "configured") and whether fractions of it are enforced (false for EnforcementMode "none").
/// </summary>
[GenerateSerializer, Immutable]
public sealed record GpuDeviceView(
    [property: Id(0)] GpuDeviceInfo Device,
    [property: Id(1)] string AgentId,
    [property: Id(2)] Dictionary<string, int> Shares,
    [property: Id(3)] int? UtilizationPercent,
    [property: Id(4)] long? MemoryUsedBytes,
    [property: Id(5)] GpuProcessView[]? Processes,
    [property: Id(6)] string Source,
    [property: Id(7)] string EnforcementMode,
    [property: Id(8)] bool Enforced,
    [property: Id(9)] DateTimeOffset? SampledAt);

/// <summary>A process with a context on the GPU: its host PID, device memory, and the session whose container it
/// runs in (null: not a session of this node, e.g. the MPS server or a process outside any container).</summary>
[GenerateSerializer, Immutable]
public sealed record GpuProcessView(
    [property: Id(0)] int Pid,
    [property: Id(1)] long UsedMemoryBytes,
    [property: Id(2)] string? SessionId,
    [property: Id(3)] string? ContainerId);
