using Granary.Resources;

namespace Granary.Agents;

/// <summary>A scheduler decision: this session on this agent, with exactly these resources and GPU shares.
/// Owner (who the session belongs to) lets fair-share queue orders count what each owner runs.</summary>
[GenerateSerializer, Immutable]
public sealed record Placement(
    [property: Id(0)] string SessionId,
    [property: Id(1)] string AgentId,
    [property: Id(2)] long CpuMilli,
    [property: Id(3)] long MemoryBytes,
    [property: Id(4)] GpuShare[] Gpus,
    [property: Id(5)] string? Owner = null)
{
    public Allocation ToAllocation() => new(SessionId, CpuMilli, MemoryBytes, Gpus, Owner);
}
