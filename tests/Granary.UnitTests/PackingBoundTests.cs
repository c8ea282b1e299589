using Granary.Scheduling;
using Granary.Scheduling.Replay;

namespace Granary.UnitTests;

/// <summary>The packing bound on clusters small enough that the best packing is known by hand, and never below what
/// a real policy places.</summary>
public class PackingBoundTests
{
    private static TracePod Pod(string name, int numGpu, int milli, long cpu = 1000, string? models = null) =>
        new(name, cpu, 1024, numGpu, milli, models?.Split('|'));

    private static long Bound(TraceNode[] nodes, params TracePod[] pods)
    {
        using var bound = new PackingBound(nodes, pods);
        foreach (var pod in pods) bound.Arrive(pod);
        return bound.MaxAllocatedGpuMilli();
    }

    /// <summary>The bound equals the best packing up to its safety margin (rounding up plus one milli).</summary>
    private static void AssertBound(long best, long bound) => Assert.InRange(bound, best, best + 2);

    private static readonly TraceNode OneT4 = new("t4", 8000, 16384, 1, "T4");

    [Fact]
    public void Two_large_shares_cannot_share_a_device()
    {
        // Total demand 1620 milli on a 1000-milli device: plain capacity would say 1000; only one 810 fits.
        AssertBound(810, Bound([OneT4], Pod("a", 1, 810), Pod("b", 1, 810)));
    }

    [Fact]
    public void Holding_the_large_share_a_policy_accepted_forgoes_the_better_pair()
    {
        // 810, 400, 600 on one device: the best packing refuses the 810 and holds 600 + 400 = 1000; one that keeps
        // the 810 can add nothing (190 milli left). A policy that placed the 810 first: its events 810, 810, 810.
        TracePod[] pods = [Pod("a", 1, 810), Pod("b", 1, 400), Pod("c", 1, 600)];
        AssertBound(1000, Bound([OneT4], pods));
        var placedThe810 = new ReplayRun("p", 1, 1000, [new(810, 810, true), new(1210, 810, false), new(1810, 810, false)], 2, TimeSpan.Zero);
        using (var bound = new PackingBound([OneT4], pods))
        {
            foreach (var pod in pods) bound.Arrive(pod);
            bound.Hold(PackingBound.PodType.Of(pods[0]), 1);
            AssertBound(810, bound.MaxAllocatedGpuMilli());
        }
        // At 181 % arrived (event 2): the policy held the 810 but not the 600, so only the 810 is held.
        var events = PackingBound.Run([OneT4], pods, seed: 1, [181], placedThe810, t => t.GpuMilli > 500).Events;
        AssertBound(810, events[2].AllocatedGpuMilli);
        using var empty = new PackingBound([OneT4], pods);
        Assert.Throws<ArgumentOutOfRangeException>(() => empty.Hold(PackingBound.PodType.Of(pods[0]), 1));   // none arrived yet
    }

    [Fact]
    public void Holding_everything_a_policy_placed_holds_its_cpu_only_pods_too()
    {
        // A CPU-only pod takes all 8 cores of the one node; the GPU pod after it cannot run beside it. The bound alone
        // refuses the CPU-only pod (1000 milli); one keeping what the policy placed cannot.
        TracePod[] pods = [Pod("cpu", 0, 0, cpu: 8000), Pod("gpu", 1, 1000)];
        AssertBound(1000, Bound([OneT4], pods));
        var placedTheCpuPod = new ReplayRun("p", 1, 1000, [new(0, 0, true), new(1000, 0, false)], 1, TimeSpan.Zero);
        var events = PackingBound.Run([OneT4], pods, seed: 1, [100], placedTheCpuPod, _ => true).Events;
        AssertBound(0, events[1].AllocatedGpuMilli);
        AssertBound(1000, PackingBound.Run([OneT4], pods, seed: 1, [100]).Events[1].AllocatedGpuMilli);
        // With a node without GPUs the CPU-only pod can go there, and the GPU pod runs.
        TraceNode[] withCpuNode = [OneT4, new("cpu", 8000, 16384, 0, "")];
        AssertBound(1000, PackingBound.Run(withCpuNode, pods, seed: 1, [100], placedTheCpuPod, _ => true).Events[1].AllocatedGpuMilli);
    }

    [Fact]
    public void A_small_share_fills_the_room_a_large_one_leaves()
    {
        AssertBound(1000, Bound([OneT4], Pod("a", 1, 600), Pod("b", 1, 600), Pod("c", 1, 400)));
        // Three shares of 460: two per device (Fekete–Schepers counts each as half a device).
        AssertBound(920, Bound([OneT4], Pod("a", 1, 460), Pod("b", 1, 460), Pod("c", 1, 460)));
    }

    [Fact]
    public void Whole_gpus_need_one_node_with_enough_devices()
    {
        TraceNode[] two = [new("a", 32000, 65536, 4, "G2"), new("b", 32000, 65536, 4, "G2")];
        AssertBound(0, Bound(two, Pod("eight", 8, 1000)));
        AssertBound(4000, Bound(two, Pod("eight", 8, 1000), Pod("four", 4, 1000)));
        // Two 3-GPU pods: one per 4-GPU node, however the 8 devices add up.
        AssertBound(6000, Bound(two, Pod("x", 3, 1000), Pod("y", 3, 1000), Pod("z", 3, 1000)));
    }

    [Fact]
    public void Cpu_and_gpu_model_limit_what_fits()
    {
        // Two GPUs but CPU for one 6-core pod only.
        AssertBound(1000, Bound([new("n", 8000, 16384, 2, "T4")], Pod("a", 1, 1000, cpu: 6000), Pod("b", 1, 1000, cpu: 6000)));
        TraceNode[] v100 = [new("v", 8000, 16384, 1, "V100M16")];
        AssertBound(0, Bound(v100, Pod("t4-only", 1, 1000, models: "T4")));
        AssertBound(1000, Bound(v100, Pod("either", 1, 1000, models: "T4|V100M16")));
    }

    [Fact]
    public void Dual_feasible_functions_never_sum_above_one_device_on_what_fits_one()
    {
        var random = new Random(5);
        for (var trial = 0; trial < 2000; trial++)
        {
            // Random shares that fit one device together.
            var shares = new List<int>();
            var left = 1000;
            while (left > 0 && shares.Count < 6)
            {
                var share = random.Next(1, left + 1);
                shares.Add(share);
                left -= share;
            }
            for (var epsilon = 1; epsilon <= 500; epsilon += 7)
                Assert.True(shares.Sum(s => PackingBound.UEpsilon(s, epsilon)) <= 1000, $"u_{epsilon} on {string.Join("+", shares)}");
            for (var k = 1; k <= 4; k++)
                Assert.True(shares.Sum(s => PackingBound.FeketeSchepers(s, 1000, k)) <= 1 + 1e-12, $"f_{k} on {string.Join("+", shares)}");
        }
    }

    [Fact]
    public void No_policy_places_more_than_the_bound_and_the_bound_is_read_like_a_policy()
    {
        var random = new Random(11);
        TraceNode[] nodes =
            [new("a", 32000, 65536, 4, "G2"), new("b", 16000, 32768, 2, "T4"), new("c", 96000, 262144, 8, "G2"), new("d", 8000, 16384, 1, "T4")];
        int[] shares = [1000, 1000, 810, 460, 250, 500, 700, 130];
        var pods = Enumerable.Range(0, 60).Select(i =>
        {
            var milli = shares[random.Next(shares.Length)];
            var numGpu = milli == 1000 ? random.Next(1, 5) : 1;
            return Pod($"p{i:D2}", numGpu, milli, cpu: random.Next(1, 12) * 1000, models: random.Next(8) == 0 ? "T4" : null);
        }).ToArray();
        var capacity = nodes.Sum(n => n.Gpus * 1000L);
        var offered = ReplayWorkload.ForSeed(pods, capacity, seed: 7);
        var bound = PackingBound.Run(nodes, offered, seed: 7, ReplayMetrics.ArrivalPoints);
        var boundFigures = ReplayMetrics.UnallocatedAt(bound.Events, capacity, ReplayMetrics.ArrivalPoints);
        foreach (var name in PlacementPolicy.Names)
        {
            var run = TraceReplay.Run(nodes, offered, PlacementPolicy.Create(name, seed: 7, splitShares: false), seed: 7);
            foreach (var point in ReplayMetrics.ArrivalPoints)
            {
                foreach (var i in ReplayMetrics.EventsAt(run.Events, capacity, point))
                    Assert.True(run.Events[i].AllocatedGpuMilli <= bound.Events[i].AllocatedGpuMilli,
                        $"{name} holds {run.Events[i].AllocatedGpuMilli} after pod {i}, bound {bound.Events[i].AllocatedGpuMilli}");
                var figure = ReplayMetrics.UnallocatedAt(run.Events, capacity, [point])[point];
                if (!double.IsNaN(figure)) Assert.True(boundFigures[point] <= figure, $"{name} at {point} %: {figure} < bound {boundFigures[point]}");
            }
        }
    }
}
