using Granary.Agents;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>
/// What-if selection over a portfolio of policies: every <see cref="Period"/> arrivals the scheduler replays its own
/// last <see cref="Window"/> arrivals, from the cluster as it is now, once per member policy (a plan on the current
/// snapshot: nothing is changed) and adopts the member that would have placed the most GPU; ties keep the member in
/// use. The recent arrivals stand in for the next ones, so the choice follows the workload the cluster sees.
/// Deterministic given the arrivals and snapshots (no clock, no randomness). Use one instance from one thread.
/// </summary>
public sealed class WhatIfScorer : INodeScorer
{
    private readonly PlacementPolicy[] _members;
    private readonly QueuedRequest[] _recent;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _seenOrder = new();
    private int _recorded;            // arrivals recorded in all (ring position = _recorded % Window)
    private int _sinceChoice;
    private int _current;

    public WhatIfScorer(IReadOnlyList<PlacementPolicy> members, int window = 256, int period = 256)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0) throw new ArgumentException("a portfolio needs at least one member", nameof(members));
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _members = members.ToArray();
        _recent = new QueuedRequest[window];
        Period = period;
    }

    public int Window => _recent.Length;
    public int Period { get; }

    /// <summary>The member in use now.</summary>
    public PlacementPolicy Current => _members[_current];

    /// <summary>How many times the what-if replay changed the member in use.</summary>
    public int Switches { get; private set; }

    public INodeScorer ForRound(IReadOnlyList<QueuedRequest> queue, ClusterState cluster)
    {
        ArgumentNullException.ThrowIfNull(queue);
        foreach (var request in queue) Record(request.Session);
        if (_sinceChoice >= Period && _recorded >= Window && _members.Length > 1)
        {
            _sinceChoice = 0;
            Choose(cluster);
        }
        return _members[_current].Scorer.ForRound(queue, cluster);
    }

    private void Record(PendingSession session)
    {
        if (!_seen.Add(session.SessionId)) return;
        _seenOrder.Enqueue(session.SessionId);
        if (_seenOrder.Count > 4 * Window) _seen.Remove(_seenOrder.Dequeue());
        var replayed = session with { SessionId = $"what-if/{_recorded % Window}", Priority = 0 };
        _recent[_recorded % Window] = new QueuedRequest(replayed, 0);
        _recorded++;
        _sinceChoice++;
    }

    private void Choose(ClusterState cluster)
    {
        // Oldest first, as they arrived.
        var start = _recorded % Window;
        var history = new QueuedRequest[Window];
        for (var i = 0; i < Window; i++) history[i] = _recent[(start + i) % Window];

        var best = _current;
        var bestPlaced = Placed(_members[_current], history, cluster);
        for (var m = 0; m < _members.Length; m++)
        {
            if (m == _current) continue;
            var placed = Placed(_members[m], history, cluster);
            if (placed > bestPlaced) { best = m; bestPlaced = placed; }
        }
        if (best != _current) Switches++;
        _current = best;
    }

    private static long Placed(PlacementPolicy member, QueuedRequest[] history, ClusterState cluster)
    {
        var plan = Scheduler.Plan(history, cluster, int.MaxValue, member, FifoOrder.Instance);
        long milli = 0;
        foreach (var placement in plan.Placements)
            foreach (var share in placement.Gpus) milli += share.Milli;
        return milli;
    }

    public bool ScoresDependOnNodeOnly => _members[_current].Scorer.ScoresDependOnNodeOnly;

    public double Score(NodeState node, ResourceRequest request) => _members[_current].Scorer.Score(node, request);

    public GpuShare[]? Shares(NodeState node, ResourceRequest request) => _members[_current].Scorer.Shares(node, request);

    public void Placed(NodeState node, Placement placement) => _members[_current].Scorer.Placed(node, placement);
}
