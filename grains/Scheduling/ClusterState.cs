using Granary.Agents;

namespace Granary.Scheduling;

/// <summary>The scheduler's mutable view of the agents of one group: each node's capacity and what it holds.</summary>
public sealed class ClusterState
{
    public IReadOnlyCollection<NodeState> Nodes => throw new NotImplementedException();

    /// <summary>Replaces the agent's view with its snapshot (adds the agent when new).</summary>
    public void UpsertAgent(AgentSnapshot snapshot) => throw new NotImplementedException();

    public void RemoveAgent(string agentId) => throw new NotImplementedException();

    public NodeState? Find(string agentId) => throw new NotImplementedException();

    /// <summary>Reserves a placement on its node; throws if it does not fit.</summary>
    public void Apply(Placement placement) => throw new NotImplementedException();

    public void Release(string agentId, string sessionId) => throw new NotImplementedException();
}
