using Granary.Agents;
using Granary.Resources;
using Granary.Scheduling;
using Granary.UnitTests.Scheduling;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests;

public class WholeDeviceReserveTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UnixEpoch;

    /// <summary>Ten one-GPU nodes: a's GPU has 500 milli free, b–i are taken whole, j is the last whole GPU (1 of 10).</summary>
    private static ClusterState OneWholeGpuLeft()
    {
        var cluster = Cluster([.. "abcdefghij".Select(c => Node(c.ToString(), 8, 8, gpus: 1))]);
        cluster.Apply(new Placement("half", "a", 0, 0, [new GpuShare("a-gpu-0", 500)]));
        foreach (var c in "bcdefghi")
            cluster.Apply(new Placement($"whole-{c}", c.ToString(), 0, 0, [new GpuShare($"{c}-gpu-0", 1000)]));
        return cluster;
    }

    private static NodeState At(ClusterState cluster, string agent) => cluster.Find(agent)!;

    [Fact]
    public void Below_its_threshold_a_share_goes_only_on_a_gpu_in_use()
    {
        var cluster = OneWholeGpuLeft();
        var reserve = new WholeDeviceReserve();
        // Only whole GPUs asked for: hold while fewer than 11 % are whole; 1 of 10 is.
        reserve.Measure(cluster, wholeShare: 1);

        Assert.True(reserve.Holding);
        Assert.True(reserve.Admits(At(cluster, "a"), Request(1, 1, fgpuMilli: 300)));    // fits on a's GPU in use
        Assert.False(reserve.Admits(At(cluster, "j"), Request(1, 1, fgpuMilli: 300)));   // would break the last whole GPU
        Assert.False(reserve.Admits(At(cluster, "a"), Request(1, 1, fgpuMilli: 600)));   // a's GPU has 500 free
        Assert.True(reserve.Admits(At(cluster, "j"), Request(1, 1, gpus: 1)));            // what it is kept for
        Assert.Equal("no GPU in use has room for fgpu 0.6, and the 1 whole GPUs left of 10 (under 11 %) are kept for whole-GPU requests",
            reserve.Explain(Request(1, 1, fgpuMilli: 600), cluster.Nodes.ToList()));
    }

    [Fact]
    public void A_mix_of_mostly_shares_holds_fewer_whole_gpus()
    {
        var cluster = OneWholeGpuLeft();
        var reserve = new WholeDeviceReserve();
        // Half the GPU asked for as whole GPUs: hold below 5.5 %, and 1 of 10 is 10 %.
        reserve.Measure(cluster, wholeShare: 0.5);

        Assert.False(reserve.Holding);
        Assert.True(reserve.Admits(At(cluster, "j"), Request(1, 1, fgpuMilli: 300)));
    }

    [Fact]
    public void The_default_keeps_a_share_waiting_with_the_reason_while_whole_gpus_are_scarce()
    {
        var cluster = OneWholeGpuLeft();
        var policy = PlacementPolicy.Create(PlacementPolicy.DefaultName);
        // Arrivals seen: forty whole GPUs and this share (40,000 of 40,600 milli asked as whole GPUs: hold below 10.8 %).
        policy.Scorer.ForRound(Queue([.. Enumerable.Range(0, 40).Select(i => ($"w{i}", Request(1, 1, gpus: 1)))]), cluster);

        var plan = Scheduler.Plan(Queue(("share", Request(1, 1, fgpuMilli: 600))), cluster, 0, policy, FifoOrder.Instance);

        Assert.Empty(plan.Placements);
        Assert.StartsWith("no GPU in use has room for fgpu 0.6, and the 1 whole GPUs left of 10", plan.PendingReasons["share"]);
        // Without the reserve, after the same arrivals, it fits on j.
        var open = PlacementPolicy.Create(PlacementPolicy.DefaultWithoutReserveName);
        open.Scorer.ForRound(Queue([.. Enumerable.Range(0, 40).Select(i => ($"w{i}", Request(1, 1, gpus: 1)))]), cluster);
        Assert.Equal("j", Assert.Single(Scheduler.Plan(Queue(("share", Request(1, 1, fgpuMilli: 600))), cluster, 0, open, FifoOrder.Instance).Placements).AgentId);
    }

    [Fact]
    public void A_held_share_on_a_node_with_a_whole_gpu_goes_on_its_gpu_in_use()
    {
        // j is taken too; node k has two GPUs, k-gpu-0 with 500 milli free and k-gpu-1 whole: 1 whole GPU of 12.
        var cluster = OneWholeGpuLeft();
        cluster.Apply(new Placement("whole-j", "j", 0, 0, [new GpuShare("j-gpu-0", 1000)]));
        cluster.Upsert(Node("k", 8, 8, gpus: 2));
        cluster.Apply(new Placement("half-k", "k", 0, 0, [new GpuShare("k-gpu-0", 500)]));
        // Measured against mostly 500-milli shares, FGD would put 300 on the whole k-gpu-1 (F 120 against 200 on k-gpu-0).
        var target = new TargetWorkload([new WorkloadType(0.9, 0, 1, 500, null), new WorkloadType(0.1, 0, 1, 1000, null)]);
        Assert.Equal("k-gpu-1", Assert.Single(
            Scheduler.Plan(Queue(("share", Request(1, 1, fgpuMilli: 300))), cluster, 0, PlacementPolicy.Create("fgd", target), FifoOrder.Instance)
                .Placements).Gpus[0].Uuid);
        var policy = PlacementPolicy.Create(PlacementPolicy.DefaultName, target);
        policy.Scorer.ForRound(Queue([.. Enumerable.Range(0, 40).Select(i => ($"w{i}", Request(1, 1, gpus: 1)))]), cluster);

        var placed = Assert.Single(Scheduler.Plan(Queue(("share", Request(1, 1, fgpuMilli: 300))), cluster, 0, policy, FifoOrder.Instance).Placements);

        Assert.Equal(("k", "k-gpu-0", 300), (placed.AgentId, Assert.Single(placed.Gpus).Uuid, placed.Gpus[0].Milli));
    }

    [Fact]
    public void A_whole_gpu_share_behind_a_held_smaller_one_is_still_placed()
    {
        var cluster = OneWholeGpuLeft();
        var policy = PlacementPolicy.Create(PlacementPolicy.DefaultName);
        policy.Scorer.ForRound(Queue([.. Enumerable.Range(0, 40).Select(i => ($"w{i}", Request(1, 1, gpus: 1)))]), cluster);

        // fgpu 1.0 asks for more than the held 0.6 but is a whole GPU's worth, which the reserve keeps GPUs for: the
        // scheduler must not skip it as "needs at least what fit nowhere".
        var plan = Scheduler.Plan(Queue(("share", Request(1, 1, fgpuMilli: 600)), ("device", Request(1, 1, fgpuMilli: 1000))),
            cluster, 16, policy, FifoOrder.Instance);

        Assert.Equal(("device", "j"), (Assert.Single(plan.Placements).SessionId, plan.Placements[0].AgentId));
        Assert.StartsWith("no GPU in use has room for fgpu 0.6", plan.PendingReasons["share"]);
    }

    [Fact]
    public void Nothing_is_held_once_no_whole_gpu_request_arrived_for_its_horizon()
    {
        var cluster = OneWholeGpuLeft();
        var policy = PlacementPolicy.Create(PlacementPolicy.DefaultName);
        policy.Scorer.ForRound(Queue([.. Enumerable.Range(0, 40).Select(i => ($"w{i}", Request(1, 1, gpus: 1)))]), cluster, Start);
        var share = Queue(("share", Request(1, 1, fgpuMilli: 600)));

        Assert.Empty(Scheduler.Plan(share, cluster, 0, policy, FifoOrder.Instance, Start + WholeDeviceReserve.DemandHorizon).Placements);
        var placed = Assert.Single(Scheduler.Plan(share, cluster, 0, policy, FifoOrder.Instance,
            Start + WholeDeviceReserve.DemandHorizon + TimeSpan.FromSeconds(1)).Placements);
        Assert.Equal("j", placed.AgentId);
    }

    [Fact]
    public void A_whole_gpu_request_still_waiting_keeps_gpus_held_past_the_horizon()
    {
        var cluster = OneWholeGpuLeft();
        var policy = PlacementPolicy.Create(PlacementPolicy.DefaultName);
        // Two GPUs on one node fit nowhere here: the pair arrives with the others and is still waiting later.
        policy.Scorer.ForRound(Queue([("pair", Request(1, 1, gpus: 2)), .. Enumerable.Range(0, 40).Select(i => ($"w{i}", Request(1, 1, gpus: 1)))]),
            cluster, Start);
        var queue = Queue(("pair", Request(1, 1, gpus: 2)), ("share", Request(1, 1, fgpuMilli: 600)));

        var plan = Scheduler.Plan(queue, cluster, 16, policy, FifoOrder.Instance, Start + WholeDeviceReserve.DemandHorizon + TimeSpan.FromMinutes(1));

        Assert.Empty(plan.Placements);
        Assert.StartsWith("no GPU in use has room for fgpu 0.6", plan.PendingReasons["share"]);
    }

    [Fact]
    public void The_scheduler_keeps_a_share_waiting_for_the_horizon_and_then_places_it()
    {
        var harness = new SchedulerHarness();
        foreach (var c in "abcdefghij") harness.AddAgent(c.ToString(), Capacity(8, 8, gpus: 1));
        for (var i = 0; i < 9; i++) harness.Enqueue($"w{i}", Request(1, 1, gpus: 1));
        harness.Plan();
        harness.ReportAll();
        Assert.Equal(9, harness.Running.Count);

        // One whole GPU of ten left, and the arrivals asked for whole GPUs: the share waits, with the reason.
        harness.Enqueue("share", Request(1, 1, fgpuMilli: 500));
        harness.Plan();
        Assert.DoesNotContain("share", harness.Running.Keys);
        Assert.StartsWith("no GPU in use has room for fgpu 0.5, and the 1 whole GPUs left of 10", harness.Reasons["share"]);

        Later(WholeDeviceReserve.DemandHorizon - TimeSpan.FromMinutes(1));
        Assert.DoesNotContain("share", harness.Running.Keys);
        // No whole-GPU request arrived or waited for the horizon: it goes on the last whole GPU.
        Later(TimeSpan.FromMinutes(2));
        Assert.Equal(500, Assert.Single(harness.Running["share"].Gpus).Milli);

        // Time passes with every agent reporting (a silent one would leave the view), then the periodic tick plans.
        void Later(TimeSpan elapsed)
        {
            harness.Clock.Advance(elapsed);
            harness.ReportAll();
            harness.Tick(TimeSpan.Zero);
        }
    }

    [Theory]
    [InlineData(1, 0)]   // 1,000 of 41,600 milli asked for by constrained requests: 2.4 %, below MaxConstrainedShare
    [InlineData(3, 1)]   // 3,000 of 43,600: 6.9 %
    public void Nothing_is_held_once_model_constrained_requests_ask_for_a_twentieth_of_the_gpu(int constrained, int placed)
    {
        var cluster = OneWholeGpuLeft();
        var policy = PlacementPolicy.Create(PlacementPolicy.DefaultName);
        policy.Scorer.ForRound(Queue([.. Enumerable.Range(0, 40).Select(i => ($"w{i}", Request(1, 1, gpus: 1))),
            .. Enumerable.Range(0, constrained).Select(i => ($"c{i}", Request(1, 1, gpus: 1, models: ["V100M32"])))]), cluster);

        Assert.Equal(placed, Scheduler.Plan(Queue(("share", Request(1, 1, fgpuMilli: 600))), cluster, 0, policy, FifoOrder.Instance).Placements.Count);
    }
}
