namespace Granary.Agents;

/// <summary>
/// Which nodes are alive or lost, from the agents' liveness heartbeats (single activation, key "all", on a
/// manager). A node silent for Granary:Agent:LostAfter is lost: its scheduler forgets it and each of its sessions
/// hears that its node is unreachable; back within Granary:Agent:LostGrace, its sessions continue; otherwise they end
/// as ERROR "agent-lost". Also the registry of which live silo hosts which node id and GPU UUIDs.
/// Call graph: agents and gateways call this grain; it calls sessions and schedulers, which never call it.
/// </summary>
public interface INodeLivenessGrain : IGrainWithStringKey
{
    public const string Key = "all";

    /// <summary>An agent silo claims a node id with its GPUs before registering it: refused (the reason is returned)
    /// while another live silo holds that node id or one of those GPU UUIDs; null when granted.</summary>
    Task<string?> Claim(NodeClaim claim);

    /// <summary>The node is alive and holds these sessions. Verify is true when the node had been marked lost: it
    /// must check its sessions against their grains (and remove what ended) before it takes new work.</summary>
    Task<HeartbeatAnswer> Heartbeat(string nodeId, string resourceGroup, string[] sessions);

    Task<AgentLiveness[]> List();
}

/// <summary>A silo's claim on a node: its id, the silo (Orleans' parsable address) and the node's GPU UUIDs.</summary>
[GenerateSerializer, Immutable]
public sealed record NodeClaim(
    [property: Id(0)] string NodeId,
    [property: Id(1)] string Silo,
    [property: Id(2)] string[] GpuUuids);

/// <summary>Verify: see <see cref="INodeLivenessGrain.Heartbeat"/>. Interval: when the node should send its next
/// heartbeat (longer in a big cluster, so the managers take a bounded number a second).</summary>
[GenerateSerializer, Immutable]
public sealed record HeartbeatAnswer([property: Id(0)] bool Verify, [property: Id(1)] TimeSpan Interval);

/// <summary>A node's liveness: Status "alive", "lost" (within its grace) or "expired" (its sessions ended
/// agent-lost); the time of its last heartbeat; since when it is lost.</summary>
[GenerateSerializer, Immutable]
public sealed record AgentLiveness(
    [property: Id(0)] string NodeId,
    [property: Id(1)] string Status,
    [property: Id(2)] DateTimeOffset LastHeartbeat,
    [property: Id(3)] DateTimeOffset? LostSince)
{
    public const string Alive = "alive";
    public const string Lost = "lost";
    public const string Expired = "expired";
}
