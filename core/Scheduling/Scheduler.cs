using Granary.Agents;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>The scheduler as a pure function: (queue, cluster snapshot, policy) → plan. It never modifies the cluster.</summary>
/// <remarks>
/// Requests are taken in queue order. One that fits nowhere is skipped so later ones may pass it, but every
/// placement made past it counts as a skip; once its skips reach MaxSkips the node closest to fitting it is kept
/// for it: nothing behind it is placed there until it is, while the rest of the queue flows onto the other nodes
/// (bounded head-of-line skipping with a reservation, like a backfilling batch scheduler's: small requests flow, big
/// ones do not starve, and one blocked request does not stop the cluster). Placements of one round are made on
/// private copies of the nodes they touch, so they account for each other and the cluster stays as given.
/// </remarks>
public static class Scheduler
{
    public static SchedulePlan Plan(IReadOnlyList<QueuedRequest> queue, ClusterState cluster, SchedulingPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Plan(queue, cluster, policy.MaxSkips, PlacementPolicy.Resolve(policy.Placement), QueueOrders.Resolve(policy.Queue));
    }

    /// <param name="now">The time of the round, for a scorer that reuses what it measured for a while (the
    /// fragmentation scorer's observed mix); null: such a scorer measures afresh. Planning reads no clock.</param>
    public static SchedulePlan Plan(
        IReadOnlyList<QueuedRequest> queue, ClusterState cluster, int maxSkips, PlacementPolicy placement, IQueueOrder order,
        DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(placement);
        ArgumentNullException.ThrowIfNull(order);

        var scorer = now is { } at ? placement.Scorer.ForRound(queue, cluster, at) : placement.Scorer.ForRound(queue, cluster);
        var round = new Round(cluster.Ordered, placement, scorer);
        // Read after ForRound, which sets the state of a policy filter (the whole-device reserve) for the round.
        var monotone = placement.FiltersMonotone;
        var placements = new List<Placement>();
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        var skips = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);

        // Requests passed over this round, with the number of placements made before they were passed.
        var skipped = new List<(QueuedRequest Request, int PlacementsBefore)>();
        var blockAt = int.MaxValue;       // placements count at which the first skipped request reaches maxSkips
        QueuedRequest? nextBlocker = null;
        QueuedRequest? blocker = null;

        // Requests that fit nowhere this round, with their reasons (a few distinct ones suffice for long queues).
        const int MaxRemembered = 32;
        var unplaceable = new List<(ResourceRequest Request, string Reason)>();

        foreach (var request in order.Sequence(queue, cluster, placements))
        {
            var id = request.Session.SessionId;
            if (!seen.Add(id)) continue; // the same session twice in the queue: consider it once

            if (cluster.Locate(id) is { } holder)
            {
                // Already holds resources (e.g. a refused placement not yet released): never place it twice.
                reasons[id] = $"already placed on agent {holder}";
                skips[id] = request.Skips;
                continue;
            }

            var resources = request.Session.Resources;
            var known = unplaceable.FindIndex(u => monotone
                ? RequestDominance.NeedsAtLeast(resources, u.Request)
                : RequestDominance.SameNeeds(resources, u.Request));
            if (known < 0 && round.TryPlace(request.Session) is { } made)
            {
                placements.Add(made);
            }
            else
            {
                string reason;
                if (known >= 0)
                {
                    var (knownRequest, knownReason) = unplaceable[known];
                    reason = RequestDominance.SameNeeds(resources, knownRequest) ? knownReason : round.Explain(resources);
                }
                else
                {
                    reason = round.Explain(resources);
                    if (unplaceable.Count < MaxRemembered) unplaceable.Add((resources, reason));
                }
                reasons[id] = reason;
                skipped.Add((request, placements.Count));
                var threshold = placements.Count + Math.Max(0, maxSkips - request.Skips);
                if (threshold < blockAt) { blockAt = threshold; nextBlocker = request; }
            }

            if (blocker is null && placements.Count >= blockAt)
            {
                blocker = nextBlocker!;
                round.KeepNodeFor(blocker.Session, maxSkips);
            }
        }

        // Passed over at most MaxSkips times in all: once it is reached, later placements go around its kept node.
        foreach (var (request, placementsBefore) in skipped)
            skips[request.Session.SessionId] = Math.Min(request.Skips + (placements.Count - placementsBefore), Math.Max(request.Skips, maxSkips));
        if (round.KeptNode is { } kept && blocker is not null)
            reasons[blocker.Session.SessionId] += $"; agent {kept} takes no other work until it fits";

        return new SchedulePlan(placements, reasons, skips);
    }

    /// <summary>One planning round over the cluster's nodes; nodes it places on are copied first (copy on write).</summary>
    /// <remarks>When the scorer's score depends on the node alone, the round keeps every node's score per request
    /// shape and, after a placement, rescores only the node that took it: the same choice as scoring every node for
    /// every request (highest score, first node on ties), at one array scan per request.</remarks>
    private sealed class Round(NodeState[] nodes, PlacementPolicy policy, INodeScorer scorer)
    {
        private const int MaxShapes = 64;
        private Dictionary<string, NodeState>? _touched;
        private List<NodeState>? _explainA, _explainB;
        private readonly Dictionary<(long Cpu, long Memory, int Gpus, long Fgpu, string Models, string? Mig, bool Folders), ShapeScores>? _shapes =
            scorer.ScoresDependOnNodeOnly ? new() : null;
        private readonly List<int> _changed = [];   // node positions placed on this round, in order
        private PendingSession? _keptFor;
        private int _maxSkips;
        private int _kept = -1;                      // the node kept for _keptFor, chosen when first needed

        /// <summary>The agent kept for the request passed over MaxSkips times, if a later request needed the choice.</summary>
        public string? KeptNode => _kept >= 0 ? nodes[_kept].AgentId : null;

        /// <summary>From now on this round places nothing on the node closest to fitting <paramref name="session"/>'s
        /// request. Chosen lazily: a round that places nothing more never pays for the choice.</summary>
        public void KeepNodeFor(PendingSession session, int maxSkips)
        {
            _keptFor = session;
            _maxSkips = maxSkips;
        }

        private int Kept()
        {
            if (_keptFor is null || _kept >= 0) return _kept;
            _kept = KeepingNode.Closest(nodes.Select(Current).ToArray(), _keptFor.Resources);
            if (_kept < 0) _keptFor = null;          // it fits no node even empty: nothing is kept
            return _kept;
        }

        private NodeState Current(NodeState node) =>
            _touched is not null && _touched.TryGetValue(node.AgentId, out var copy) ? copy : node;

        private double ScoreAt(int position, ResourceRequest request)
        {
            var node = Current(nodes[position]);
            return policy.Admits(node, request) ? scorer.Score(node, request) : double.NaN;
        }

        private int Best(ResourceRequest request)
        {
            var shapes = _shapes;
            if (shapes is null || shapes.Count >= MaxShapes && !shapes.ContainsKey(Key(request))) return BestByScan(request);
            var key = Key(request);
            if (!shapes.TryGetValue(key, out var cached))
            {
                var fresh = new double[nodes.Length];
                for (var i = 0; i < fresh.Length; i++) fresh[i] = ScoreAt(i, request);
                shapes[key] = cached = new ShapeScores(fresh) { Applied = _changed.Count };
            }
            var scores = cached.Scores;
            for (; cached.Applied < _changed.Count; cached.Applied++)
            {
                var position = _changed[cached.Applied];
                scores[position] = ScoreAt(position, request);
            }
            var best = -1;
            var bestScore = double.NegativeInfinity;
            var kept = Kept();
            for (var i = 0; i < scores.Length; i++)
            {
                var score = scores[i];
                if (double.IsNaN(score) || i == kept) continue;
                if (best < 0 || score > bestScore) { best = i; bestScore = score; }
            }
            return best;
        }

        private int BestByScan(ResourceRequest request)
        {
            var best = -1;
            var bestScore = double.NegativeInfinity;
            var kept = Kept();
            for (var i = 0; i < nodes.Length; i++)
            {
                if (i == kept) continue;
                var node = Current(nodes[i]);
                if (!policy.Admits(node, request)) continue;
                var score = scorer.Score(node, request);
                if (best < 0 || score > bestScore) { best = i; bestScore = score; }
            }
            return best;
        }

        // Everything a filter reads of the request: two requests with one key pass the same nodes.
        private static (long, long, int, long, string, string?, bool) Key(ResourceRequest request) =>
            (request.CpuMilli, request.MemoryBytes, request.Gpus, request.FgpuMilli, TargetWorkload.ModelKey(request.GpuModels), request.MigProfile,
             request.MountsFolders);

        public Placement? TryPlace(PendingSession session)
        {
            var request = session.Resources;
            var position = Best(request);
            if (position < 0) return null;
            var best = Current(nodes[position]);

            var shares = scorer.Shares(best, request)
                ?? throw new InvalidOperationException($"Agent {best.AgentId} passed the GPU filter but has no shares for session {session.SessionId}.");
            var placement = new Placement(session.SessionId, best.AgentId, request.CpuMilli, request.MemoryBytes, shares, session.Owner);

            _touched ??= new Dictionary<string, NodeState>(StringComparer.Ordinal);
            if (!_touched.TryGetValue(best.AgentId, out var copy))
                _touched[best.AgentId] = copy = best.Clone();
            if (!copy.TryApply(placement, out var reason))
                throw new InvalidOperationException($"Agent {best.AgentId} passed every filter but refused session {session.SessionId}: {reason}.");
            scorer.Placed(copy, placement);
            _changed.Add(position);
            return placement;
        }

        private sealed class ShapeScores(double[] scores)
        {
            public double[] Scores { get; } = scores;
            public int Applied { get; set; }
        }

        /// <summary>Why the request fits no node: the first filter that leaves no candidate explains it.</summary>
        public string Explain(ResourceRequest request)
        {
            if (nodes.Length == 0) return "no agents in resource group";
            // The session waited behind may be another user's: its id is not theirs to see.
            if (Kept() is var kept and >= 0 && policy.Admits(Current(nodes[kept]), request))
                return $"waiting behind an earlier session, which has been passed over {_maxSkips} times: " +
                    $"agent {nodes[kept].AgentId}, the only one with room, is kept for it";
            var candidates = _explainA ??= new List<NodeState>(nodes.Length);
            var passed = _explainB ??= new List<NodeState>(nodes.Length);
            candidates.Clear();
            foreach (var node in nodes) candidates.Add(Current(node));
            foreach (var filter in policy.Filters)
            {
                passed.Clear();
                foreach (var node in candidates)
                    if (filter.Admits(node, request)) passed.Add(node);
                if (passed.Count == 0) return filter.Explain(request, candidates);
                (candidates, passed) = (passed, candidates);
            }
            return "no agent fits the request";
        }
    }
}
