using System.Collections.Immutable;
using Granary.Resources;
using Granary.Scheduling;
using Granary.Scheduling.Replay;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests;

/// <summary>Following a plan (<see cref="PlanScorer"/>, <see cref="NodePlan"/>, <see cref="PlanHold"/>,
/// <see cref="MixPlan"/>) on clusters small enough to check by hand.</summary>
public class PlanScorerTests
{
    private static readonly SlotKind Two = new(2000, 4 * GiB, 2, 1000);
    private static readonly SlotKind Share600 = new(1000, 2 * GiB, 1, 600);
    private static readonly SlotKind Share400 = new(1000, 2 * GiB, 1, 400);

    private static SchedulePlan Place(ClusterState cluster, PlacementPolicy policy, string id, ResourceRequest request)
    {
        var plan = Scheduler.Plan(Queue((id, request)), cluster, 0, policy, FifoOrder.Instance);
        foreach (var placement in plan.Placements) cluster.Apply(placement);
        return plan;
    }

    [Fact]
    public void A_node_plan_keeps_devices_for_whole_GPUs_and_lays_shares_first_fit_decreasing()
    {
        var plan = new NodePlan(new Dictionary<SlotKind, int> { [Two] = 1, [Share600] = 2, [Share400] = 1 }, devices: 4);

        // 600 on gpu-0, the second 600 on gpu-1 (gpu-0 is too full), 400 on the fuller of the two that fit: gpu-0.
        Assert.Equal([true, true, false, false], Enumerable.Range(0, 4).Select(plan.ForShares).ToArray());
        var cluster = Cluster(Node("a", 16, 64, gpus: 4));
        var policy = PlacementPolicy.Following(new WorkloadPlan(new Dictionary<string, NodePlan> { ["a"] = plan }.ToImmutableDictionary()), hold: 0);
        Assert.Equal([new GpuShare("a-gpu-0", 400)], Place(cluster, policy, "s400", Request(1, 2, fgpuMilli: 400)).Placements.Single().Gpus);
        Assert.Equal(["a-gpu-2", "a-gpu-3"], Place(cluster, policy, "w", Request(2, 4, gpus: 2)).Placements.Single().Gpus.Select(g => g.Uuid).ToArray());
        // Planned: 5 cores and 10 GiB; the 400 share and the two GPUs hold 3 cores and 6 GiB of it.
        Assert.Equal((2000, 4 * GiB), plan.Unfilled(cluster.Find("a")!));
    }

    [Fact]
    public void A_request_takes_its_slot_over_best_fit_and_a_departure_reopens_it()
    {
        // Best fit would put the share on b (fewer cores left); the plan has its slots on a and keeps b's GPU whole.
        var share = new SlotKind(1000, GiB, 1, 500);
        var whole = new SlotKind(2000, GiB, 1, 1000);
        var plans = new Dictionary<string, NodePlan>
        {
            ["a"] = new(new Dictionary<SlotKind, int> { [share] = 1 }, devices: 1),
            ["b"] = new(new Dictionary<SlotKind, int> { [whole] = 1 }, devices: 1),
        };
        var cluster = Cluster(Node("a", 8, 8, gpus: 1), Node("b", 4, 8, gpus: 1));
        var policy = PlacementPolicy.Following(new WorkloadPlan(plans.ToImmutableDictionary()), hold: 0);
        Assert.Equal("b", Place(cluster, PlacementPolicy.BestFit, "probe", Request(1, 1, fgpuMilli: 500)).Placements.Single().AgentId);
        cluster.Release("b", "probe");

        Assert.Equal("a", Place(cluster, policy, "s1", Request(1, 1, fgpuMilli: 500)).Placements.Single().AgentId);
        Assert.Null(plans["a"].OpenSlot(cluster.Find("a")!, Request(1, 1, fgpuMilli: 500)));   // filled, though 500 is free
        Assert.Equal("b", Place(cluster, policy, "w", Request(2, 1, gpus: 1)).Placements.Single().AgentId);
        cluster.Release("a", "s1");
        Assert.Equal([new GpuShare("a-gpu-0", 500)], plans["a"].OpenSlot(cluster.Find("a")!, Request(1, 1, fgpuMilli: 500))!);
    }

    [Fact]
    public void While_whole_GPUs_are_scarce_a_share_outside_the_plan_waits_for_a_GPU_in_use()
    {
        var plans = new Dictionary<string, NodePlan> { ["a"] = new(new Dictionary<SlotKind, int> { [new SlotKind(1000, GiB, 1, 1000)] = 1 }, devices: 1) };
        var plan = new WorkloadPlan(plans.ToImmutableDictionary());

        var held = Place(Cluster(Node("a", 8, 8, gpus: 1)), PlacementPolicy.Following(plan, hold: 1), "s", Request(1, 1, fgpuMilli: 300));
        Assert.Empty(held.Placements);
        Assert.Contains("kept for the plan's whole-GPU slots", held.PendingReasons["s"], StringComparison.Ordinal);
        var free = Place(Cluster(Node("a", 8, 8, gpus: 1)), PlacementPolicy.Following(plan, hold: 0), "s", Request(1, 1, fgpuMilli: 300));
        Assert.Equal("a", free.Placements.Single().AgentId);
    }

    [Fact]
    public void In_rounds_that_know_the_time_the_hold_lasts_only_while_whole_GPUs_were_asked_for_lately()
    {
        var (policy, cluster) = HoldingOneWholeGpu();
        var start = DateTimeOffset.UnixEpoch;
        SchedulePlan ShareAt(DateTimeOffset now) => Scheduler.Plan(ShareEnqueuedAt(now), cluster, 0, policy, FifoOrder.Instance, now);

        Assert.Single(ShareAt(start).Placements);   // none asked yet
        Scheduler.Plan(Queue(("w", Request(9, 1, gpus: 1))), cluster, 0, policy, FifoOrder.Instance, start);   // fits nowhere
        Assert.Empty(ShareAt(start + WholeDeviceReserve.DemandHorizon).Placements);
        Assert.Single(ShareAt(start + WholeDeviceReserve.DemandHorizon + TimeSpan.FromSeconds(1)).Placements);
        Assert.Empty(Scheduler.Plan(ShareEnqueuedAt(start), cluster, 0, policy, FifoOrder.Instance).Placements);   // no time: held, as arrival-only
    }

    [Fact]
    public void The_hold_gives_way_once_a_share_has_waited_ShareWait_and_not_for_other_requests_waiting()
    {
        var (policy, cluster) = HoldingOneWholeGpu();
        var asked = DateTimeOffset.UnixEpoch.AddMinutes(1);
        // Waiting since the epoch, and fitting nowhere: a whole GPU (9 cores on 8) and a MIG instance (no MIG here).
        var waiting = Queue(("w", Request(9, 1, gpus: 1)), ("mig", new ResourceRequest(1000, GiB, FgpuMilli: 143, MigProfile: "1g.10gb")))
            .Concat(ShareEnqueuedAt(asked)).ToArray();
        SchedulePlan At(DateTimeOffset now) => Scheduler.Plan(waiting, cluster, 0, policy, FifoOrder.Instance, now);

        Assert.Empty(At(asked).Placements);                                             // they waited a minute, the share not yet
        Assert.Empty(At(asked + PlanHold.ShareWait - TimeSpan.FromSeconds(1)).Placements);
        Assert.Equal("s", At(asked + PlanHold.ShareWait).Placements.Single().SessionId);
        Assert.Empty(Scheduler.Plan(waiting, cluster, 0, policy, FifoOrder.Instance).Placements);   // no time: held, as arrival-only
    }

    /// <summary>One agent with one GPU, planned for a whole-GPU slot and held whole (hold 1).</summary>
    private static (PlacementPolicy Policy, ClusterState Cluster) HoldingOneWholeGpu()
    {
        var plans = new Dictionary<string, NodePlan> { ["a"] = new(new Dictionary<SlotKind, int> { [new SlotKind(1000, GiB, 1, 1000)] = 1 }, devices: 1) };
        return (PlacementPolicy.Following(new WorkloadPlan(plans.ToImmutableDictionary()), hold: 1), Cluster(Node("a", 8, 8, gpus: 1)));
    }

    /// <summary>A share of 300 milli that joined the queue at <paramref name="at"/>.</summary>
    private static QueuedRequest[] ShareEnqueuedAt(DateTimeOffset at) =>
        [new(new PendingSession("s", "alice", Request(1, 1, fgpuMilli: 300), 0, at), 0)];

    [Fact]
    public void Packings_go_on_whole_node_counts_first_then_the_largest_fractions()
    {
        var shape = new NodeShape("V100M32", 1, 8000, 8192, 3);
        PackingBound.PodType[] types = [new(1000, 1024, 1, 1000, ""), new(2000, 1024, 1, 400, "")];
        ConfigurationBound.NodePacking[] packings = [new(shape, [1, 0], 1.4), new(shape, [0, 2], 1.6)];
        var nodes = new[] { "a", "b", "c" }.Select(n => new TraceNode(n, 8000, 8192, 1, "V100M32").ToNodeState(n)).ToArray();

        var mix = new MixPlan(packings, types);
        var plan = mix.Assign(Cluster(nodes));

        // a, b: the whole parts (one node each); c: the larger fraction (0.6 of the second packing).
        Assert.Equal([1000, 4000, 4000], new[] { "a", "b", "c" }.Select(n => plan.For(n)!.PlannedCpuMilli).ToArray());
        var kept = MixPlan.FromJson(mix.ToJson());   // what --plan-file keeps
        Assert.Equal(types, kept.Types);
        Assert.Equal(packings.Select(p => (p.Shape, string.Join(',', p.Counts), p.Nodes)), kept.Packings.Select(p => (p.Shape, string.Join(',', p.Counts), p.Nodes)));
    }

    [Fact]
    public void A_node_running_planned_sessions_takes_the_packing_with_slots_for_them()
    {
        var shape = new NodeShape("V100M32", 1, 8000, 8192, 3);
        PackingBound.PodType[] types = [new(1000, 1024, 1, 1000, ""), new(2000, 1024, 1, 400, "")];
        ConfigurationBound.NodePacking[] packings = [new(shape, [1, 0], 1.4), new(shape, [0, 2], 1.6)];
        var cluster = Cluster(new[] { "a", "b", "c" }.Select(n => new TraceNode(n, 8000, 8192, 1, "V100M32").ToNodeState(n)).ToArray());
        Assert.Equal("a", Place(cluster, PlacementPolicy.BestFit, "s", Request(2, 1, fgpuMilli: 400)).Placements.Single().AgentId);

        var plan = new MixPlan(packings, types).Assign(cluster);

        // a runs a 400 share: it takes the packing of two (4 cores) that has a slot for it, and b the whole GPU the
        // sequence offered a; c the other packing of two.
        Assert.Equal([4000, 1000, 4000], new[] { "a", "b", "c" }.Select(n => plan.For(n)!.PlannedCpuMilli).ToArray());
        Assert.NotNull(plan.For("a")!.OpenSlot(cluster.Find("a")!, Request(2, 1, fgpuMilli: 400)));
    }

    [Fact]
    public void A_plans_draw_ends_at_the_last_arrival_below_100_percent_when_none_comes_within_a_point_of_it()
    {
        // 700 milli a pod on 2,000: arrivals at 35, 70 and 105 % (and on), none within 99–101 %.
        TraceNode[] nodes = [new("a", 8000, 8192, 1, "T4"), new("b", 8000, 8192, 1, "T4")];
        TracePod[] pods = [new("p", 1000, 1024, 1, 700, null)];

        Assert.Equal(2, MixPlan.Draw(nodes, pods, drawSeed: 1000).Count);
        Assert.Equal(2, MixPlan.Solve(nodes, pods, drawSeed: 1000).Packings.Sum(p => p.Counts.Sum() * p.Nodes), 3);   // both planned
    }
}
