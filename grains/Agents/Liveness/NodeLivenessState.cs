namespace Granary.Agents.Liveness;

/// <summary>What the liveness grain keeps across manager restarts: every node's last known record (checkpointed,
/// see NodeLivenessGrain) and which silo holds each node id.</summary>
[GenerateSerializer]
public sealed class NodeLivenessState
{
    [Id(0)] public List<NodeRecord> Nodes { get; set; } = [];

    /// <summary>Node id → the claim of the silo that hosts it.</summary>
    [Id(1)] public Dictionary<string, NodeClaim> Claims { get; set; } = [];
}
