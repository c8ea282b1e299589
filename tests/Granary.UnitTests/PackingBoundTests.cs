using Granary.Scheduling;
using Granary.Scheduling.Replay;
using static Granary.UnitTests.BoundCases;

namespace Granary.UnitTests;

/// <summary>The packing bound on clusters small enough that the best packing is known by hand, and never below what
/// a real policy places.</summary>
public class PackingBoundTests
{
    private static long Bound(TraceNode[] nodes, params TracePod[] pods)
    {
        using var bound = new PackingBound(nodes, pods);
        foreach (var pod in pods) bound.Arrive(pod);
        return bound.MaxAllocatedGpuMilli();
    }

    [Fact]
    public void The_bound_is_the_best_packing_on_hand_solved_clusters() => AssertHandSolvedClusters(Bound);

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
    public void A_floor_keeps_what_was_placed_then_and_a_policy_as_good_as_one_that_placed_the_810_cannot_pair()
    {
        // 810, then 400, then 600 on one device. Unfloored, the best packing at the end is 400 + 600 = 1000. A policy
        // that held 810 after the first pod keeps it (nothing departs): 810 at the end. One that held 400 after the
        // second pod may still add the 600.
        TracePod[] pods = [Pod("a", 1, 810), Pod("b", 1, 400), Pod("c", 1, 600)];
        using (var bound = new PackingBound([OneT4], pods))
        {
            bound.Arrive(pods[0]);
            bound.Floor(810);
            bound.Arrive(pods[1]);
            bound.Arrive(pods[2]);
            AssertBound(810, bound.MaxAllocatedGpuMilli());
        }
        using (var bound = new PackingBound([OneT4], pods))
        {
            bound.Arrive(pods[0]);
            bound.Arrive(pods[1]);
            bound.Floor(400);
            bound.Arrive(pods[2]);
            AssertBound(1000, bound.MaxAllocatedGpuMilli());
        }
        // Read like a policy: as good as one leaving 19 % at 81 % arrived (the 810 placed), the bound at 181 % is
        // about 810 (the floor's 0.01-point rounding slack lets a sliver of the 810 go), not 1000.
        var asGoodAs = new Dictionary<int, double> { [81] = 19.0 };
        var events = PackingBound.Run([OneT4], pods, seed: 1, [81, 181], asGoodAs: asGoodAs).Events;
        Assert.InRange(events[2].AllocatedGpuMilli, 810, 815);
        AssertBound(1000, PackingBound.Run([OneT4], pods, seed: 1, [81, 181]).Events[2].AllocatedGpuMilli);
        using var empty = new PackingBound([OneT4], pods);
        Assert.Throws<ArgumentOutOfRangeException>(() => empty.Floor(-1));
    }

    [Fact]
    public void Every_policy_holds_at_most_the_bound_as_good_as_itself_which_is_at_most_the_plain_bound()
    {
        var (nodes, offered, capacity) = MixedCluster();
        var points = ReplayMetrics.ArrivalPoints;
        var plain = PackingBound.Run(nodes, offered, seed: 7, points);
        foreach (var name in PlacementPolicy.Names)
        {
            var run = TraceReplay.Run(nodes, offered, PlacementPolicy.Create(name, seed: 7, splitShares: false), seed: 7);
            var floored = PackingBound.Run(nodes, offered, seed: 7, points, asGoodAs: ReplayMetrics.UnallocatedAt(run.Events, capacity, points));
            foreach (var i in points.SelectMany(p => ReplayMetrics.EventsAt(run.Events, capacity, p)))
            {
                Assert.True(run.Events[i].AllocatedGpuMilli <= floored.Events[i].AllocatedGpuMilli,
                    $"{name} holds {run.Events[i].AllocatedGpuMilli} after pod {i}, the bound as good as it {floored.Events[i].AllocatedGpuMilli}");
                Assert.True(floored.Events[i].AllocatedGpuMilli <= plain.Events[i].AllocatedGpuMilli,
                    $"after pod {i} the bound as good as {name} ({floored.Events[i].AllocatedGpuMilli}) is above the plain one ({plain.Events[i].AllocatedGpuMilli})");
            }
        }
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
        var (nodes, offered, capacity) = MixedCluster();
        AssertNoPolicyAbove(PackingBound.Run(nodes, offered, seed: 7, ReplayMetrics.ArrivalPoints), nodes, offered, capacity,
            ReplayMetrics.ArrivalPoints);
    }
}
