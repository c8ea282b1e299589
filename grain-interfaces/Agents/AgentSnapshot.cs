namespace Granary.Agents;

/// <summary>
/// The agent's truth at one moment: capacity, what is allocated, the images it has. Version grows
/// with every change, so a receiver can drop a snapshot older than one it already holds.
/// FoldersUnavailable: why the node cannot mount storage folders (its folder root is not the cluster's shared
/// storage), in words fit for users; null when it can.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AgentSnapshot(
    [property: Id(0)] string AgentId,
    [property: Id(1)] string ResourceGroup,
    [property: Id(2)] AgentCapacity Capacity,
    [property: Id(3)] Allocation[] Allocations,
    [property: Id(4)] string[] Images,
    [property: Id(5)] string Runtime,
    [property: Id(6)] long Version,
    [property: Id(7)] DateTimeOffset At,
    [property: Id(8)] bool Schedulable = true,
    [property: Id(9)] string? FoldersUnavailable = null);
