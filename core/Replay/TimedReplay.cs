using System.Diagnostics;

namespace Granary.Scheduling.Replay;

/// <summary>One time-based replay: how long pods waited, how much GPU was in use over time, what never ran.</summary>
/// <param name="Pods">Pods replayed (those with a creation time before their deletion time).</param>
/// <param name="NeverRan">Pods still waiting at their deletion time.</param>
/// <param name="MeanPendingSeconds">Mean time from creation to placement of the pods that ran.</param>
/// <param name="P99PendingSeconds">99th percentile (nearest rank) of the same.</param>
/// <param name="WaitingGpuHours">Σ GPUs asked × hours waited, over every pod (those that never ran: until deletion).</param>
/// <param name="AllocatedGpuPct">Allocated GPU as % of capacity, averaged over the arrival window (first to last
/// creation; the drain after the last arrival is left out, as it says nothing about the policy).</param>
/// <param name="AllocatedGpuPctOverTime">The same average over each of <see cref="TimedReplay.Slices"/> equal slices of that span.</param>
public sealed record TimedRun(string Policy, int Seed, int Pods, int NeverRan, double MeanPendingSeconds, double P99PendingSeconds,
    double WaitingGpuHours, double AllocatedGpuPct, IReadOnlyList<double> AllocatedGpuPctOverTime, int Decisions, TimeSpan DecisionTime);

/// <summary>
/// Replays a trace in time, as production sees it: a pod joins the queue at its creation time, the scheduler plans
/// the queue (<see cref="Scheduler.Plan(IReadOnlyList{QueuedRequest}, ClusterState, int, PlacementPolicy, IQueueOrder, DateTimeOffset?)"/>,
/// the grains' queue orders and bounded head-of-line skipping) whenever a pod arrives or leaves, a placed pod runs
/// until its deletion time, and a pod still waiting at its deletion time leaves without having run. At one instant
/// departures come before arrivals, and one plan covers everything that happened then.
/// </summary>
public static class TimedReplay
{
    public const int Slices = 24;

    private sealed class PodState(int index, TracePod pod, long creation, long deletion)
    {
        public int Index { get; } = index;
        public TracePod Pod { get; } = pod;
        public long Creation { get; } = creation;
        public long Deletion { get; } = deletion;
        public string Id { get; } = $"pod-{index}";
        public string? Agent { get; set; }
        public long Started { get; set; } = -1;
        public int Skips { get; set; }
    }

    /// <summary>The pods with creation times divided by <paramref name="factor"/> and run times (deletion − creation)
    /// kept: the same pods arriving <paramref name="factor"/> times as fast, so the cluster sees that much more load.</summary>
    public static IReadOnlyList<TracePod> Compress(IReadOnlyList<TracePod> pods, double factor)
    {
        ArgumentNullException.ThrowIfNull(pods);
        ArgumentOutOfRangeException.ThrowIfLessThan(factor, 1);
        return pods.Select(p => p.CreationTime is { } c && p.DeletionTime is { } d
            ? p with { CreationTime = (long)(c / factor), DeletionTime = (long)(c / factor) + (d - c) }
            : p).ToArray();
    }

    public static TimedRun Run(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, PlacementPolicy policy, IQueueOrder order,
        int maxSkips, int seed) => Run(nodes, pods, policy, order, maxSkips, seed, null);

    /// <param name="policyAt">Asked before every round for the policy to plan it with (the cluster and queue as they
    /// are, the trace's time); null keeps <paramref name="policy"/> throughout. A planner's re-plans go here.</param>
    public static TimedRun Run(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, PlacementPolicy policy, IQueueOrder order,
        int maxSkips, int seed, Func<ClusterState, IReadOnlyList<QueuedRequest>, DateTimeOffset, PlacementPolicy>? policyAt)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(pods);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(order);
        var timed = pods.Select((p, i) => (Pod: p, Index: i))
            .Where(p => p.Pod.CreationTime is { } c && p.Pod.DeletionTime is { } d && d > c)
            .Select(p => new PodState(p.Index, p.Pod, p.Pod.CreationTime!.Value, p.Pod.DeletionTime!.Value))
            .OrderBy(p => p.Creation).ThenBy(p => p.Index).ToArray();
        var capacity = nodes.Sum(n => (long)n.Gpus * 1000);
        if (timed.Length == 0 || capacity == 0)
            return new TimedRun(policy.Name, seed, 0, 0, 0, 0, 0, 0, new double[Slices], 0, TimeSpan.Zero);

        var cluster = TraceReplay.BuildCluster(nodes, seed);
        var byId = timed.ToDictionary(p => p.Id, StringComparer.Ordinal);
        var deletions = new PriorityQueue<PodState, (long, int)>();
        var queue = new List<PodState>();
        var begin = timed[0].Creation;
        var end = timed[^1].Creation > begin ? timed[^1].Creation : timed.Max(p => p.Deletion);
        var usage = new AllocationOverTime(begin, end, capacity);
        var waits = new List<long>();
        double waitingGpuSeconds = 0;
        var neverRan = 0;
        var decisions = 0;
        var clock = new Stopwatch();

        var next = 0;
        while (next < timed.Length || deletions.Count > 0)
        {
            var now = Math.Min(next < timed.Length ? timed[next].Creation : long.MaxValue,
                deletions.TryPeek(out _, out var at) ? at.Item1 : long.MaxValue);
            usage.AdvanceTo(now);
            while (deletions.TryPeek(out var pod, out var when) && when.Item1 == now)
            {
                deletions.Dequeue();
                if (pod.Agent is { } agent)
                {
                    cluster.Release(agent, pod.Id);
                    usage.Add(-pod.Pod.TotalGpuMilli);
                }
                else
                {
                    queue.Remove(pod);
                    neverRan++;
                    waitingGpuSeconds += pod.Pod.TotalGpuMilli / 1000.0 * (now - pod.Creation);
                }
            }
            while (next < timed.Length && timed[next].Creation == now)
            {
                var pod = timed[next++];
                queue.Add(pod);
                deletions.Enqueue(pod, (pod.Deletion, pod.Index));
            }
            if (queue.Count == 0) continue;

            var requests = queue.Select(p => new QueuedRequest(new PendingSession(p.Id, "trace", p.Pod.ToRequest(), 0,
                DateTimeOffset.FromUnixTimeSeconds(p.Creation)), p.Skips)).ToArray();
            clock.Start();
            if (policyAt is not null) policy = policyAt(cluster, requests, DateTimeOffset.FromUnixTimeSeconds(now));
            // At the trace's time, as the grains plan at theirs (a policy that holds for a while reads it).
            var plan = Scheduler.Plan(requests, cluster, maxSkips, policy, order, DateTimeOffset.FromUnixTimeSeconds(now));
            foreach (var placement in plan.Placements) cluster.Apply(placement);
            clock.Stop();
            decisions += requests.Length;
            foreach (var placement in plan.Placements)
            {
                var pod = byId[placement.SessionId];
                pod.Agent = placement.AgentId;
                pod.Started = now;
                waits.Add(now - pod.Creation);
                waitingGpuSeconds += pod.Pod.TotalGpuMilli / 1000.0 * (now - pod.Creation);
                usage.Add(pod.Pod.TotalGpuMilli);
                queue.Remove(pod);
            }
            foreach (var pod in queue)
                if (plan.Skips.TryGetValue(pod.Id, out var skips)) pod.Skips = skips;
        }
        usage.AdvanceTo(end);

        waits.Sort();
        var mean = waits.Count == 0 ? 0 : waits.Average();
        var p99 = waits.Count == 0 ? 0 : waits[(int)Math.Ceiling(0.99 * waits.Count) - 1];
        return new TimedRun(policy.Name, seed, timed.Length, neverRan, mean, p99, waitingGpuSeconds / 3600,
            usage.MeanPct, usage.SlicePcts, decisions, clock.Elapsed);
    }

    /// <summary>Allocated GPU milli integrated over time, overall and per equal slice of [begin, end].</summary>
    private sealed class AllocationOverTime
    {
        private readonly long[] _bounds = new long[Slices + 1];   // slice s is [_bounds[s], _bounds[s + 1])
        private readonly double[] _integral = new double[Slices];
        private readonly long _capacity;
        private long _now;
        private int _slice;
        private long _allocated;

        public AllocationOverTime(long begin, long end, long capacity)
        {
            for (var s = 0; s <= Slices; s++) _bounds[s] = begin + (long)Math.Ceiling(s * (double)(end - begin) / Slices);
            _capacity = capacity;
            _now = begin;
        }

        public void Add(long milli) => _allocated += milli;

        public void AdvanceTo(long time)
        {
            time = Math.Min(time, _bounds[Slices]);
            while (_now < time)
            {
                while (_slice < Slices - 1 && _now >= _bounds[_slice + 1]) _slice++;
                var until = _slice == Slices - 1 ? time : Math.Min(time, _bounds[_slice + 1]);
                _integral[_slice] += (double)_allocated * (until - _now);
                _now = until;
            }
        }

        public double MeanPct => _integral.Sum() * 100.0 / _capacity / Math.Max(1, _bounds[Slices] - _bounds[0]);

        public IReadOnlyList<double> SlicePcts =>
            Enumerable.Range(0, Slices).Select(s => _bounds[s + 1] > _bounds[s]
                ? _integral[s] * 100.0 / _capacity / (_bounds[s + 1] - _bounds[s]) : 0).ToArray();
    }
}
