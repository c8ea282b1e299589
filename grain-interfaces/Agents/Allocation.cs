using Granary.Resources;

namespace Granary.Agents;

/// <summary>What one session holds on a node (Owner: the session's owner when known, for fair-share ordering).</summary>
[GenerateSerializer, Immutable]
public sealed record Allocation(
    [property: Id(0)] string SessionId,
    [property: Id(1)] long CpuMilli,
    [property: Id(2)] long MemoryBytes,
    [property: Id(3)] GpuShare[] Gpus,
    [property: Id(4)] string? Owner = null);
