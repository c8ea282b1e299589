using Granary.Scheduling;
using Granary.Scheduling.Replay;
using static Granary.UnitTests.BoundCases;

namespace Granary.UnitTests;

/// <summary>The configuration bound (packings of whole nodes) on clusters small enough that the best packing is known by
/// hand, where it is tighter than the packing bound, and never below what a real policy places.</summary>
public class ConfigurationBoundTests
{
    private static long Bound(TraceNode[] nodes, params TracePod[] pods)
    {
        using var bound = new ConfigurationBound(nodes, pods);
        foreach (var pod in pods) bound.Arrive(pod);
        return bound.MaxAllocatedGpuMilli();
    }

    [Fact]
    public void Holding_the_large_share_a_policy_accepted_forgoes_the_better_pair()
    {
        // 810, 400, 600 on one device: the best packing refuses the 810 and holds 600 + 400 = 1000; one that keeps the
        // 810 can add nothing. A policy that placed the 810 first and nothing after: at 181 % it held only the 810.
        TracePod[] pods = [Pod("a", 1, 810), Pod("b", 1, 400), Pod("c", 1, 600)];
        AssertBound(1000, Bound([OneT4], pods));
        var placedThe810 = new ReplayRun("p", 1, 1000, [new(810, 810, true), new(1210, 810, false), new(1810, 810, false)], 2, TimeSpan.Zero);
        AssertBound(810, ConfigurationBound.Run([OneT4], pods, seed: 1, [181], placedThe810, _ => true).Events[2].AllocatedGpuMilli);
        AssertBound(1000, ConfigurationBound.Run([OneT4], pods, seed: 1, [181]).Events[2].AllocatedGpuMilli);
        using var bound = new ConfigurationBound([OneT4], pods);
        Assert.Throws<ArgumentOutOfRangeException>(() => bound.Hold(PackingBound.PodType.Of(pods[0]), 1));   // none arrived yet
    }

    [Fact]
    public void The_best_packing_says_which_pods_it_leaves_out()
    {
        // 810, 400, 600 and a whole GPU on two devices: the best packing holds the whole GPU and 600 + 400, and leaves
        // the 810 out (holding it would strand 190 milli).
        TracePod[] pods = [Pod("a", 1, 810), Pod("b", 1, 400), Pod("c", 1, 600), Pod("w", 1, 1000)];
        using var bound = new ConfigurationBound([new("n", 8000, 16384, 2, "T4")], pods);
        foreach (var pod in pods) bound.Arrive(pod);
        AssertBound(2000, bound.MaxAllocatedGpuMilli());

        var placed = bound.Placements().ToDictionary(p => p.Type.GpuMilli);
        Assert.Equal([400, 600, 810, 1000], placed.Keys.Order());
        Assert.All(placed.Values, p => Assert.Equal(1, p.Arrived));
        Assert.Equal(0, placed[810].Placed, 6);
        Assert.All(new[] { 400, 600, 1000 }, milli => Assert.Equal(1, placed[milli].Placed, 6));
    }

    [Fact]
    public void The_best_packing_is_a_plan_of_what_each_node_holds()
    {
        // Two 2-GPU nodes; 810, 400, 600 and two whole GPUs: all 3,810 milli fit (say, one node both whole GPUs, the
        // other 600 + 400 on one device and the 810 on the other), as node packings whose node counts sum to the 2 nodes.
        TracePod[] pods = [Pod("a", 1, 810), Pod("b", 1, 400), Pod("c", 1, 600), Pod("w", 1, 1000), Pod("v", 1, 1000)];
        TraceNode[] nodes = [new("n1", 8000, 16384, 2, "T4"), new("n2", 8000, 16384, 2, "T4")];
        using var bound = new ConfigurationBound(nodes, pods);
        foreach (var pod in pods) bound.Arrive(pod);
        AssertBound(3810, bound.MaxAllocatedGpuMilli());

        var packings = bound.Packings();
        Assert.All(packings, p => Assert.Equal(2, p.Shape.Count));
        // Which real nodes a packing is for: those of its shape (the model's case aside), no other.
        static NodeState State(TraceNode node) => node.ToNodeState(node.Name);
        Assert.All(packings, p => Assert.True(nodes.Select(State).All(p.Shape.Takes) && p.Shape.Takes(State(new("n3", 8000, 16384, 2, "t4")))));
        Assert.All(packings, p => Assert.False(p.Shape.Takes(State(new("n4", 7000, 16384, 2, "T4"))) || p.Shape.Takes(State(new("n5", 8000, 16384, 2, "V100")))));
        Assert.Equal(2, packings.Sum(p => p.Nodes), 6);
        var milli = bound.Types.Select(t => t.TotalGpuMilli).ToArray();
        Assert.All(packings, p => Assert.InRange(p.Counts.Select((n, t) => n * milli[t]).Sum(), 1, 2000));
        Assert.Equal(3810, packings.Sum(p => p.Nodes * p.Counts.Select((n, t) => n * milli[t]).Sum()), 3);
        var placed = bound.Placements();
        for (var t = 0; t < bound.Types.Count; t++)
            Assert.Equal(placed[t].Placed, packings.Sum(p => p.Counts[t] * p.Nodes), 6);
    }

    [Fact]
    public void The_bound_is_the_best_packing_on_hand_solved_clusters()
    {
        AssertHandSolvedClusters(Bound);
        // A whole GPU and shares on one 2-GPU node: the shares get the other device only.
        AssertBound(1900, Bound([new("n", 8000, 16384, 2, "T4")], Pod("w", 1, 1000), Pod("a", 1, 600), Pod("b", 1, 600), Pod("c", 1, 300)));
    }

    [Fact]
    public void A_node_is_packed_in_all_its_resources_at_once_where_the_packing_bound_is_not()
    {
        // One GPU and 7 cores: 600 milli with 2 cores and 400 milli with 6 cores fit the device together but not the
        // cores, so the node holds one of them: 600. The packing bound mixes them fractionally: 600 + 2/3 of 400 (its
        // Fekete–Schepers f_3 on the cores counts the 6-core pod as a whole node, the 2-core one as a third).
        TraceNode[] node = [new("n", 7000, 16384, 1, "T4")];
        TracePod[] pods = [Pod("a", 1, 600, cpu: 2000), Pod("b", 1, 400, cpu: 6000)];
        AssertBound(600, Bound(node, pods));
        var placements = ConfigurationBound.PlacementsAt(node, pods, point: 100);   // 1000 of 1000 milli arrived
        Assert.Equal([(600, 1, 1.0), (400, 1, 0.0)], placements.OrderByDescending(p => p.Type.GpuMilli)
            .Select(p => (p.Type.GpuMilli, p.Arrived, Math.Round(p.Placed, 6))));
        using var packing = new PackingBound(node, pods);
        foreach (var pod in pods) packing.Arrive(pod);
        Assert.InRange(packing.MaxAllocatedGpuMilli(), 866, 869);
    }

    [Fact]
    public void No_policy_places_more_than_the_bound_which_is_at_most_the_packing_bound()
    {
        var (nodes, offered, capacity) = MixedCluster();
        int[] points = [90, 100, 110];
        var bound = ConfigurationBound.Run(nodes, offered, seed: 7, points);
        AssertNoPolicyAbove(bound, nodes, offered, capacity, points);
        var packing = PackingBound.Run(nodes, offered, seed: 7, points);
        foreach (var i in points.SelectMany(p => ReplayMetrics.EventsAt(bound.Events, capacity, p)))
            Assert.True(bound.Events[i].AllocatedGpuMilli <= packing.Events[i].AllocatedGpuMilli);
    }

    [Fact]
    public void A_master_program_GLOP_ends_abnormal_on_is_solved_afresh()
    {
        // A mix the grains' planner observed on a 13-node group of the default trace (1970-05-20 23:44, every seed):
        // GLOP, warm-started from the previous round's basis, ended ABNORMAL on the master program; from scratch it
        // solves. (CPU milli, memory MiB, GPUs, GPU milli, how many arrived.)
        TraceNode[] nodes = [new("p100", 64000, 262144, 2, "P100"), .. Enumerable.Range(0, 5).Select(i => new TraceNode($"g2-{i}", 96000, 393216, 8, "G2")),
            .. Enumerable.Range(0, 7).Select(i => new TraceNode($"t4-{i}", 104000, 524288, 2, "T4"))];
        (long Cpu, long Memory, int Gpus, int Milli, int Count)[] mix = [
            (120200, 640000, 8, 1000, 1), (1000, 6144, 1, 1000, 1), (4000, 31250, 1, 1000, 1), (7000, 30000, 1, 1000, 1),
            (8000, 16384, 1, 1000, 1), (8000, 32768, 1, 1000, 1), (11400, 48128, 1, 1000, 7), (11900, 77824, 1, 1000, 1),
            (16000, 32768, 1, 1000, 1), (16000, 65536, 1, 1000, 1), (18708, 64512, 1, 1000, 1), (3152, 5600, 1, 810, 27),
            (11908, 47104, 1, 650, 12), (8000, 30517, 1, 470, 2), (11908, 47104, 1, 470, 1), (6000, 18432, 1, 460, 1),
            (4000, 15258, 1, 320, 1), (4000, 22888, 1, 320, 1), (6000, 30517, 1, 320, 1)];
        var pods = mix.SelectMany((m, i) => Enumerable.Repeat(new TracePod($"p{i}", m.Cpu, m.Memory, m.Gpus, m.Milli, null), m.Count)).ToArray();

        var bound = Bound(nodes, pods);

        var placed = TraceReplay.Run(nodes, pods, PlacementPolicy.Create("bestfit", splitShares: false), seed: 1).Events[^1].AllocatedGpuMilli;
        Assert.InRange(bound, placed, pods.Sum(p => p.TotalGpuMilli));
        Assert.NotEmpty(MixPlan.For(nodes, pods).Packings);
    }
}
