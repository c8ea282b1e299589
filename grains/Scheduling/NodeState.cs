using Granary.Agents;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>One node's capacity and allocations, the single place that decides whether something fits.
/// Used by the scheduler's view and by the agent grain for its own truth.</summary>
public sealed class NodeState
{
    public NodeState(string agentId, AgentCapacity capacity, IEnumerable<Allocation> allocations) => throw new NotImplementedException();

    public string AgentId => throw new NotImplementedException();
    public AgentCapacity Capacity => throw new NotImplementedException();
    public long FreeCpuMilli => throw new NotImplementedException();
    public long FreeMemoryBytes => throw new NotImplementedException();
    public IReadOnlyCollection<Allocation> Allocations => throw new NotImplementedException();

    /// <summary>Reserves exactly what the placement names; false (and a reason) when it does not fit now.</summary>
    public bool TryApply(Placement placement, out string? reason) => throw new NotImplementedException();

    /// <summary>Frees the session's allocation; no-op when the session holds nothing here.</summary>
    public void Release(string sessionId) => throw new NotImplementedException();
}
