using Granary.Resources;

namespace Granary.Agents;

/// <summary>A scheduler decision: this session on this agent, with exactly these resources and GPU shares.</summary>
[GenerateSerializer, Immutable]
public sealed record Placement(
    [property: Id(0)] string SessionId,
    [property: Id(1)] string AgentId,
    [property: Id(2)] long CpuMilli,
    [property: Id(3)] long MemoryBytes,
    [property: Id(4)] GpuShare[] Gpus)
{
    public Allocation ToAllocation() => new(SessionId, CpuMilli, MemoryBytes, Gpus);
}
