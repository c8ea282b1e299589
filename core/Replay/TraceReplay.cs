using System.Diagnostics;

namespace Granary.Scheduling.Replay;

/// <summary>After one offered pod: GPU milli arrived so far (failed pods included) and allocated, and whether that
/// pod was placed.</summary>
public readonly record struct ReplayEvent(long ArrivedGpuMilli, long AllocatedGpuMilli, bool Placed);

/// <summary>One replay: the events after every pod, how many failed, and the time spent deciding.</summary>
public sealed record ReplayRun(string Policy, int Seed, long CapacityGpuMilli, IReadOnlyList<ReplayEvent> Events, int Failed, TimeSpan DecisionTime)
{
    public double PodsPerSecond => DecisionTime > TimeSpan.Zero ? Events.Count / DecisionTime.TotalSeconds : double.PositiveInfinity;
}

/// <summary>
/// Replays a trace through the scheduler the grains use: every pod is a one-request queue given to
/// <see cref="Scheduler.Plan(IReadOnlyList{QueuedRequest}, ClusterState, int, PlacementPolicy, IQueueOrder, DateTimeOffset?)"/>; a
/// placement is applied to the cluster, a pod that fits nowhere is recorded as failed and the replay goes on.
/// Nothing departs. Nodes get agent ids in a seeded random order, so the scheduler's ties (lowest agent id)
/// fall on a seeded random node, as in the reference simulator.
/// </summary>
public static class TraceReplay
{
    public static ReplayRun Run(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> offered, PlacementPolicy policy, int seed)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(offered);
        ArgumentNullException.ThrowIfNull(policy);

        var cluster = BuildCluster(nodes, seed);
        var capacity = nodes.Sum(n => (long)n.Gpus * 1000);
        var events = new ReplayEvent[offered.Count];
        var queue = new QueuedRequest[1];
        long arrived = 0, allocated = 0;
        var failed = 0;
        var clock = new Stopwatch();
        for (var i = 0; i < offered.Count; i++)
        {
            var pod = offered[i];
            queue[0] = new QueuedRequest(new PendingSession($"pod-{i}", "trace", pod.ToRequest(), 0, DateTimeOffset.UnixEpoch), 0);
            clock.Start();
            var plan = Scheduler.Plan(queue, cluster, 0, policy, FifoOrder.Instance);
            if (plan.Placements.Count == 1) cluster.Apply(plan.Placements[0]);
            clock.Stop();

            arrived += pod.TotalGpuMilli;
            if (plan.Placements.Count == 1) allocated += plan.Placements[0].Gpus.Sum(g => g.Milli);
            else failed++;
            events[i] = new ReplayEvent(arrived, allocated, plan.Placements.Count == 1);
        }
        return new ReplayRun(policy.Name, seed, capacity, events, failed, clock.Elapsed);
    }

    /// <summary>The trace's nodes under agent ids "{rank:D6}-{name}", ranks a seeded random permutation.</summary>
    public static ClusterState BuildCluster(IReadOnlyList<TraceNode> nodes, int seed)
    {
        var ranks = Enumerable.Range(0, nodes.Count).ToArray();
        new Random(unchecked(seed * 7919 + 17)).Shuffle(ranks);
        var cluster = new ClusterState();
        for (var i = 0; i < nodes.Count; i++)
            cluster.Upsert(nodes[i].ToNodeState($"{ranks[i]:D6}-{nodes[i].Name}"));
        return cluster;
    }
}
