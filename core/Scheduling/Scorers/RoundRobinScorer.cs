using Granary.Agents;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>Round robin: the first feasible node after the one this scorer placed on last (in agent id order,
/// wrapping). The cursor is this instance's state, so each scheduler needs its own (PlacementPolicy.Create).</summary>
public sealed class RoundRobinScorer : INodeScorer
{
    private volatile string? _last;

    /// <summary>Nodes after the cursor score 2, the rest 1; ties go to the lowest agent id, which makes the cycle.</summary>
    public double Score(NodeState node, ResourceRequest request) =>
        _last is { } last && string.CompareOrdinal(node.AgentId, last) <= 0 ? 1 : 2;

    public void Placed(NodeState node, Placement placement) => _last = node.AgentId;
}
