using Granary.Agents;

namespace Granary.Scheduling;

/// <summary>The scheduler's mutable view of the agents of one group: each node's capacity and what it holds.
/// Change allocations through Apply/Release/UpsertAgent (not on a NodeState directly) so Locate stays right.</summary>
public sealed class ClusterState
{
    private readonly Dictionary<string, NodeState> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _agentOfSession = new(StringComparer.Ordinal);
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
            FoldersUnavailable = snapshot.FoldersUnavailable,
            Version = snapshot.Version,
        });
    }

    /// <summary>Adds or replaces a node built by the caller (e.g. a trace replay).</summary>
    public void Upsert(NodeState node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var isNew = !_byId.TryGetValue(node.AgentId, out var old);
        if (old is not null) Unindex(old);
        _byId[node.AgentId] = node;
        foreach (var allocation in node.Allocations) _agentOfSession[allocation.SessionId] = node.AgentId;
        if (isNew || _ordered is null) { _ordered = null; return; }
        var index = Array.BinarySearch(_ordered, node, ByAgentId.Instance);
        _ordered[index] = node;
    }

    public void RemoveAgent(string agentId)
    {
        if (!_byId.Remove(agentId, out var node)) return;
        Unindex(node);
        _ordered = null;
    }

    private void Unindex(NodeState node)
    {
        foreach (var allocation in node.Allocations)
            if (_agentOfSession.TryGetValue(allocation.SessionId, out var agent) && agent == node.AgentId)
                _agentOfSession.Remove(allocation.SessionId);
    }

    /// <summary>The agent the session holds resources on, if any.</summary>
    public string? Locate(string sessionId) =>
        _agentOfSession.TryGetValue(sessionId, out var agentId) && Find(agentId)?.Holds(sessionId) == true ? agentId : null;

    public NodeState? Find(string agentId) => _byId.GetValueOrDefault(agentId);

    /// <summary>Reserves a placement on its node; throws if it does not fit.</summary>
    public void Apply(Placement placement)
    {
        ArgumentNullException.ThrowIfNull(placement);
        var node = Find(placement.AgentId) ?? throw new InvalidOperationException($"Unknown agent {placement.AgentId}.");
        if (!node.TryApply(placement, out var reason))
            throw new InvalidOperationException($"Placement of session {placement.SessionId} does not fit: {reason}.");
        _agentOfSession[placement.SessionId] = placement.AgentId;
    }

    /// <summary>Frees the session's allocation on the agent; no-op when either is unknown.</summary>
    public void Release(string agentId, string sessionId)
    {
        Find(agentId)?.Release(sessionId);
        if (_agentOfSession.TryGetValue(sessionId, out var holder) && holder == agentId) _agentOfSession.Remove(sessionId);
    }

    private sealed class ByAgentId : IComparer<NodeState>
    {
        public static readonly ByAgentId Instance = new();
        public int Compare(NodeState? x, NodeState? y) => string.CompareOrdinal(x?.AgentId, y?.AgentId);
    }
}
