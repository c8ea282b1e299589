namespace Granary.Agents.Liveness;

/// <summary>
/// Which nodes are alive, lost or past their grace, from their heartbeats (Nomad's disconnected clients): a node
/// silent for LostAfter is lost (nothing new goes there, its sessions say their node is unreachable); a lost node
/// heard from again within LostGrace is alive again and its sessions continue; one silent for LostGrace after it
/// was marked lost has expired: its sessions end as agent-lost. The heartbeat interval and LostAfter follow the
/// number of known nodes (<see cref="HeartbeatPace"/>); nodes leave that count only when an operator removes them.
/// Pure: time is passed in, nothing is called.
/// </summary>
public sealed class NodeLiveness(HeartbeatPace pace, TimeSpan lostGrace)
{
    private readonly Dictionary<string, NodeRecord> _nodes = new(StringComparer.Ordinal);

    /// <summary>How often each node should send its heartbeat, for this many nodes.</summary>
    public TimeSpan Interval => pace.IntervalFor(_nodes.Count);
    public TimeSpan LostAfter => pace.LostAfterFor(_nodes.Count);
    public TimeSpan LostGrace => lostGrace;

    public IReadOnlyCollection<NodeRecord> Nodes => _nodes.Values;

    public NodeRecord? Find(string nodeId) => _nodes.GetValueOrDefault(nodeId);

    /// <summary>A node known from before (a stored record, or the agent directory after a manager restart): it gets
    /// a full LostAfter from now to be heard from, since its last heartbeat went to another manager.</summary>
    public void Restore(NodeRecord record, DateTimeOffset now)
    {
        _nodes[record.NodeId] = record.LostSince is null ? record with { LastHeartbeat = Later(record.LastHeartbeat, now) } : record;
    }

    /// <summary>A heartbeat with the sessions the node holds. Returns what it means: nothing new, a first sighting,
    /// or the return of a lost node (within or after its grace).</summary>
    public NodeTransition Heartbeat(string nodeId, string resourceGroup, string[] sessions, DateTimeOffset now)
    {
        var known = _nodes.GetValueOrDefault(nodeId);
        _nodes[nodeId] = new NodeRecord(nodeId, resourceGroup, now, sessions, LostSince: null, Expired: false);
        return known switch
        {
            null => new NodeTransition(NodeChange.Joined, nodeId, resourceGroup, now, sessions),
            { LostSince: { } since, Expired: var expired } => new NodeTransition(
                expired ? NodeChange.ReturnedAfterGrace : NodeChange.Returned, nodeId, resourceGroup, known.LastHeartbeat, known.Sessions, since),
            _ => new NodeTransition(NodeChange.None, nodeId, resourceGroup, known.LastHeartbeat, sessions),
        };
    }

    /// <summary>Nodes that became lost or expired by now, in node id order.</summary>
    public IReadOnlyList<NodeTransition> Tick(DateTimeOffset now)
    {
        var changes = new List<NodeTransition>();
        var lostAfter = LostAfter;
        foreach (var node in _nodes.Values.OrderBy(n => n.NodeId, StringComparer.Ordinal).ToArray())
        {
            if (node.LostSince is null && now - node.LastHeartbeat >= lostAfter)
            {
                _nodes[node.NodeId] = node with { LostSince = now };
                changes.Add(new NodeTransition(NodeChange.Lost, node.NodeId, node.ResourceGroup, node.LastHeartbeat, node.Sessions, now));
            }
            else if (node is { LostSince: { } since, Expired: false } && now - since >= lostGrace)
            {
                _nodes[node.NodeId] = node with { Expired = true };
                changes.Add(new NodeTransition(NodeChange.Expired, node.NodeId, node.ResourceGroup, node.LastHeartbeat, node.Sessions, since));
            }
        }
        return changes;
    }

    /// <summary>Sessions known to be on a lost node from elsewhere (the scheduler's placements since its last
    /// heartbeat): they end with the node's grace too. Returns every session of the node.</summary>
    public string[] AddSessions(string nodeId, IEnumerable<string> sessions)
    {
        if (_nodes.GetValueOrDefault(nodeId) is not { } node)
        {
            return [];
        }
        var all = node.Sessions.Union(sessions, StringComparer.Ordinal).ToArray();
        _nodes[nodeId] = node with { Sessions = all };
        return all;
    }

    /// <summary>A node taken out of the cluster by an operator: forgotten, so it is never reported lost.</summary>
    public bool Remove(string nodeId) => _nodes.Remove(nodeId);

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}

public enum NodeChange
{
    None,
    Joined,
    Lost,
    Returned,
    ReturnedAfterGrace,
    Expired,
}

/// <summary>One change of a node's liveness: its last heartbeat before the change, the sessions it held then, and
/// since when it was lost (Lost, Expired, Returned*).</summary>
public sealed record NodeTransition(
    NodeChange Change,
    string NodeId,
    string ResourceGroup,
    DateTimeOffset LastHeartbeat,
    string[] Sessions,
    DateTimeOffset? LostSince = null);
