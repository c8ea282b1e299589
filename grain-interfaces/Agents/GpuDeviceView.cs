using Granary.Resources;

namespace Granary.Agents;

/// <summary>A GPU's fractional allocation map (session id → milli-GPU) and its live metrics.</summary>
[GenerateSerializer, Immutable]
public sealed record GpuDeviceView(
    [property: Id(0)] GpuDeviceInfo Device,
    [property: Id(1)] string AgentId,
    [property: Id(2)] Dictionary<string, int> Shares,
    [property: Id(3)] int UtilizationPercent,
    [property: Id(4)] long MemoryUsedBytes);
