namespace Granary.Agents.Liveness;

/// <summary>What the liveness policy knows of one node. LostSince is set while it is lost; Expired once its grace
/// has passed (its sessions have ended as agent-lost).</summary>
[GenerateSerializer, Immutable]
public sealed record NodeRecord(
    [property: Id(0)] string NodeId,
    [property: Id(1)] string ResourceGroup,
    [property: Id(2)] DateTimeOffset LastHeartbeat,
    [property: Id(3)] string[] Sessions,
    [property: Id(4)] DateTimeOffset? LostSince,
    [property: Id(5)] bool Expired);
