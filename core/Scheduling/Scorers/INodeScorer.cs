using Granary.Agents;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>Ranks a feasible node for a request: the highest score wins, ties go to the lowest agent id.</summary>
public interface INodeScorer
{
    double Score(NodeState node, ResourceRequest request);

    /// <summary>The GPU shares to take on the chosen node (a scorer that ranks by device choice picks them too);
    /// null when they do not fit. By default the allocation map's own choice.</summary>
    GpuShare[]? Shares(NodeState node, ResourceRequest request) => node.FindGpuShares(request);

    /// <summary>The scorer to use for one planning round (stateless scorers: themselves). A scorer that needs the
    /// round's context (e.g. the workload mix to measure fragmentation against) builds it here.</summary>
    INodeScorer ForRound(IReadOnlyList<QueuedRequest> queue, ClusterState cluster) => this;

    /// <summary>As <see cref="ForRound(IReadOnlyList{QueuedRequest}, ClusterState)"/>, for a round planned at
    /// <paramref name="now"/> (the caller's clock: a scorer that reuses a measurement for a while reads no clock).</summary>
    INodeScorer ForRound(IReadOnlyList<QueuedRequest> queue, ClusterState cluster, DateTimeOffset now) => ForRound(queue, cluster);

    /// <summary>True when Score depends only on the node's state and the request (no cursor, no randomness, no
    /// reaction to Placed): a round may then keep a node's score until that node changes.</summary>
    bool ScoresDependOnNodeOnly => false;

    /// <summary>Told of every placement the round makes (the node is the round's copy, already holding it).</summary>
    void Placed(NodeState node, Placement placement) { }
}
