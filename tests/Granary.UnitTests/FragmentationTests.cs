using Granary.Agents;
using Granary.Resources;
using Granary.Scheduling;
using static Granary.UnitTests.TestData;

namespace Granary.UnitTests;

public class FragmentationTests
{
    [Fact]
    public void Target_workload_keeps_the_most_frequent_types_until_they_cover_the_share_and_renormalises()
    {
        var requests = Enumerable.Repeat(Request(1, 1, fgpuMilli: 500), 6)
            .Concat(Enumerable.Repeat(Request(2, 1, gpus: 1), 3))
            .Append(Request(4, 1)).ToList();
        var workload = TargetWorkload.FromRequests(requests, coverage: 0.9);
        Assert.Equal(2, workload.Types.Count);
        Assert.Equal(new WorkloadType(6 / 9.0, 1000, 1, 500, null), workload.Types[0]);
        Assert.Equal(3 / 9.0, workload.Types[1].Probability, 12);
        Assert.Equal((1, 1000), (workload.Types[1].GpuCount, workload.Types[1].MilliPerGpu));
        Assert.Equal(3, TargetWorkload.FromRequests(requests, coverage: 0.95).Types.Count);   // the CPU-only type too
    }

    [Fact]
    public void Node_fragmentation_matches_the_hand_computed_value()
    {
        // Half CPU-only (all 1300 free milli count), half 500-milli shares (the 300 left on gpu-0 counts).
        var model = new FragmentationModel(new TargetWorkload([
            new WorkloadType(0.5, 1000, 0, 0, null), new WorkloadType(0.5, 1000, 1, 500, null)]));
        var t4 = model.ModelId("T4");
        Assert.Equal(800, model.Fragmentation([300, 1000], [t4, t4], freeCpu: 8000), 9);
        Assert.Equal(1300, model.Fragmentation([300, 1000], [t4, t4], freeCpu: 500), 9);     // too little CPU: all of R
        var constrained = new FragmentationModel(new TargetWorkload([new WorkloadType(1, 0, 1, 500, ["V100M32"])]));
        Assert.Equal(1300, constrained.Fragmentation([300, 1000], [constrained.ModelId("T4"), constrained.ModelId("T4")], 8000), 9);
    }

    [Fact]
    public void Fgd_puts_a_small_share_where_it_strands_least_not_where_it_fits_tightest()
    {
        // Target: 700-milli shares. Free [1000, 800]: 200 on gpu-1 leaves 600 (useless for 700), on gpu-0 leaves 800.
        var workload = new TargetWorkload([new WorkloadType(1, 0, 1, 700, null)]);
        var node = Node("a", 8, 8, gpus: 2);
        node.Gpus.TryAllocate("x", [new GpuShare("a-gpu-1", 200)], out _);
        var cluster = Cluster(node);
        var request = Request(1, 1, fgpuMilli: 200);

        var fgd = Scheduler.Plan(Queue(("s", request)), cluster, 0, PlacementPolicy.Create("fgd", workload), FifoOrder.Instance);
        Assert.Equal("a-gpu-0", fgd.Placements.Single().Gpus.Single().Uuid);
        var bestFit = Scheduler.Plan(Queue(("s", request)), cluster, 0, PlacementPolicy.Create("bestfit"), FifoOrder.Instance);
        Assert.Equal("a-gpu-1", bestFit.Placements.Single().Gpus.Single().Uuid);
    }

    [Fact]
    public void Fgd_prefers_the_node_whose_fragmentation_grows_least()
    {
        // Target: whole GPUs. A 300-milli share on the already-shared node costs nothing new; on the idle node it
        // breaks a whole device.
        var workload = new TargetWorkload([new WorkloadType(1, 0, 1, 1000, null)]);
        var cluster = Cluster(Node("a", 8, 8, gpus: 2), Node("b", 8, 8, gpus: 2));
        cluster.Apply(new Placement("x", "b", 0, 0, [new GpuShare("b-gpu-0", 500)]));
        foreach (var name in new[] { "fgd", "fgd-exact", PlacementPolicy.DefaultName })
        {
            var plan = Scheduler.Plan(Queue(("s", Request(1, 1, fgpuMilli: 300))), cluster, 0, PlacementPolicy.Create(name, workload), FifoOrder.Instance);
            Assert.Equal(("b", "b-gpu-0"), (plan.Placements.Single().AgentId, plan.Placements.Single().Gpus.Single().Uuid));
        }
    }

    [Fact]
    public void Consolidation_sends_ties_to_a_node_already_in_use()
    {
        // Target: whole GPUs. A whole GPU on idle a or on half-used b changes nothing (ΔF = 0 on both): FGD takes
        // the first node, fgd-consolidate the used one, keeping a whole for a 2-GPU request. The default is FGD here:
        // no request asks for a share (WhatIfTests covers its rule).
        var workload = new TargetWorkload([new WorkloadType(1, 0, 1, 1000, null)]);
        var cluster = Cluster(Node("a", 8, 8, gpus: 2), Node("b", 8, 8, gpus: 2));
        cluster.Apply(new Placement("x", "b", 0, 0, [new GpuShare("b-gpu-0", 1000)]));
        string Where(string policy) => Scheduler.Plan(Queue(("s", Request(1, 1, gpus: 1))), cluster, 0,
            PlacementPolicy.Create(policy, workload), FifoOrder.Instance).Placements.Single().AgentId;
        Assert.Equal("a", Where("fgd"));
        Assert.Equal("b", Where("fgd-consolidate"));
        Assert.Equal("a", Where(PlacementPolicy.DefaultName));
    }

    [Fact]
    public void Without_a_fixed_workload_the_default_measures_against_the_observed_mix()
    {
        // Observed: two running 700 shares (p = 2/3) and the queued 200 (1/3). b's two 300-milli leftovers are
        // useless to the 700s; the 200 on one of them lowers F(b) from 400 to 300, while on a (all free) F stays 0.
        // So the 200 goes to b and a stays whole for the next 700s.
        var cluster = Cluster(Node("a", 8, 8, gpus: 2), Node("b", 8, 8, gpus: 2));
        cluster.Apply(new Placement("x", "b", 1000, GiB, [new GpuShare("b-gpu-0", 700)]));
        cluster.Apply(new Placement("y", "b", 1000, GiB, [new GpuShare("b-gpu-1", 700)]));
        var plan = Scheduler.Plan(Queue(("s", Request(1, 1, fgpuMilli: 200))), cluster, new SchedulingPolicy());
        Assert.Equal("b", plan.Placements.Single().AgentId);
    }

    [Fact]
    public void Memoised_scores_equal_fresh_ones_on_random_nodes()
    {
        var random = new Random(7);
        var workload = new TargetWorkload([
            new WorkloadType(0.3, 4000, 1, 500, null), new WorkloadType(0.3, 8000, 1, 1000, null),
            new WorkloadType(0.2, 2000, 2, 1000, null), new WorkloadType(0.2, 1000, 0, 0, null)]);
        var shared = new FragmentationScorer(workload, resolution: 0);
        for (var i = 0; i < 300; i++)
        {
            var node = Node($"n{i}", 32, 64, gpus: 4, model: "G2");
            for (var d = 0; d < 4; d++)
                if (random.Next(2) == 0) node.Gpus.TryAllocate($"x{d}", [new GpuShare($"n{i}-gpu-{d}", random.Next(1, 11) * 100)], out _);
            var request = random.Next(3) switch { 0 => Request(2, 1, gpus: 1), 1 => Request(4, 1, fgpuMilli: 500), _ => Request(1, 1) };
            var fresh = new FragmentationScorer(workload, resolution: 0);
            Assert.Equal(fresh.Delta(node, request), shared.Delta(node, request), 9);
        }
    }
}
