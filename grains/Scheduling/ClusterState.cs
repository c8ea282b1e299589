using Granary.Agents;

namespace Granary.Scheduling;

/// <summary>The scheduler's mutable view of the agents of one group: each node's capacity and what it holds.</summary>
public sealed class ClusterState
{
    private readonly Dictionary<string, NodeState> _byId = new(StringComparer.Ordinal);
    private NodeState[]? _ordered;

    /// <summary>The nodes ordered by agent id (ordinal), the order the scheduler breaks ties in.</summary>
    public IReadOnlyCollection<NodeState> Nodes => Ordered;

    public int Count => _byId.Count;

    internal NodeState[] Ordered => _ordered ??= _byId.Values.OrderBy(n => n.AgentId, StringComparer.Ordinal).ToArray();

    /// <summary>Replaces the agent's view with its snapshot (adds the agent when new). Version checks are the caller's.</summary>
    public void UpsertAgent(AgentSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Upsert(new NodeState(snapshot.AgentId, snapshot.Capacity, snapshot.Allocations ?? [])
        {
            Schedulable = snapshot.Schedulable,
            Version = snapshot.Version,
        });
    }

    /// <summary>Adds or replaces a node built by the caller (e.g. a trace replay).</summary>
    public void Upsert(NodeState node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var isNew = !_byId.ContainsKey(node.AgentId);
        _byId[node.AgentId] = node;
        if (isNew || _ordered is null) { _ordered = null; return; }
        var index = Array.BinarySearch(_ordered, node, ByAgentId.Instance);
        _ordered[index] = node;
    }

    public void RemoveAgent(string agentId)
    {
        if (_byId.Remove(agentId)) _ordered = null;
    }

    public NodeState? Find(string agentId) => _byId.GetValueOrDefault(agentId);

    /// <summary>Reserves a placement on its node; throws if it does not fit.</summary>
    public void Apply(Placement placement)
    {
        ArgumentNullException.ThrowIfNull(placement);
        var node = Find(placement.AgentId) ?? throw new InvalidOperationException($"Unknown agent {placement.AgentId}.");
        if (!node.TryApply(placement, out var reason))
            throw new InvalidOperationException($"Placement of session {placement.SessionId} does not fit: {reason}.");
    }

    /// <summary>Frees the session's allocation on the agent; no-op when either is unknown.</summary>
    public void Release(string agentId, string sessionId) => Find(agentId)?.Release(sessionId);

    private sealed class ByAgentId : IComparer<NodeState>
    {
        public static readonly ByAgentId Instance = new();
        public int Compare(NodeState? x, NodeState? y) => string.CompareOrdinal(x?.AgentId, y?.AgentId);
    }
}
