using Granary.Scheduling;
using Granary.Scheduling.Replay;

namespace Granary.UnitTests;

/// <summary>What the tests of the packing and configuration bounds share: pods, a one-GPU node, the check that a bound
/// equals a hand-solved packing, and a random mixed cluster on which no policy may place more than a bound.</summary>
internal static class BoundCases
{
    public static readonly TraceNode OneT4 = new("t4", 8000, 16384, 1, "T4");

    public static TracePod Pod(string name, int numGpu, int milli, long cpu = 1000, string? models = null) =>
        new(name, cpu, 1024, numGpu, milli, models?.Split('|'));

    /// <summary>The bound equals the best packing up to its safety margin (rounding up plus one milli).</summary>
    public static void AssertBound(long best, long bound) => Assert.InRange(bound, best, best + 2);

    /// <summary>Clusters whose best packing is known by hand, each given to <paramref name="bound"/> (nodes, arrived pods →
    /// the most GPU milli a placement can hold).</summary>
    public static void AssertHandSolvedClusters(Func<TraceNode[], TracePod[], long> bound)
    {
        // Total demand 1620 milli on a 1000-milli device: plain capacity would say 1000; only one 810 fits.
        AssertBound(810, bound([OneT4], [Pod("a", 1, 810), Pod("b", 1, 810)]));
        // A small share fills the room a large one leaves; three shares of 460 fit two to a device.
        AssertBound(1000, bound([OneT4], [Pod("a", 1, 600), Pod("b", 1, 600), Pod("c", 1, 400)]));
        AssertBound(920, bound([OneT4], [Pod("a", 1, 460), Pod("b", 1, 460), Pod("c", 1, 460)]));
        // Whole GPUs need one node with enough devices: two 3-GPU pods, one per 4-GPU node, however the 8 devices add up.
        TraceNode[] two = [new("a", 32000, 65536, 4, "G2"), new("b", 32000, 65536, 4, "G2")];
        AssertBound(0, bound(two, [Pod("eight", 8, 1000)]));
        AssertBound(4000, bound(two, [Pod("eight", 8, 1000), Pod("four", 4, 1000)]));
        AssertBound(6000, bound(two, [Pod("x", 3, 1000), Pod("y", 3, 1000), Pod("z", 3, 1000)]));
        // Two GPUs but cores for one 6-core pod only; GPU models.
        AssertBound(1000, bound([new("n", 8000, 16384, 2, "T4")], [Pod("a", 1, 1000, cpu: 6000), Pod("b", 1, 1000, cpu: 6000)]));
        TraceNode[] v100 = [new("v", 8000, 16384, 1, "V100M16")];
        AssertBound(0, bound(v100, [Pod("t4-only", 1, 1000, models: "T4")]));
        AssertBound(1000, bound(v100, [Pod("either", 1, 1000, models: "T4|V100M16")]));
    }

    /// <summary>Four nodes of two models and 60 pods: whole GPUs (1–4), shares of 130–810 milli, 1–11 cores, some T4-only;
    /// offered as seed 7 offers them.</summary>
    public static (TraceNode[] Nodes, IReadOnlyList<TracePod> Offered, long Capacity) MixedCluster()
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
        return (nodes, ReplayWorkload.ForSeed(pods, capacity, seed: 7), capacity);
    }

    /// <summary>Every policy's replay of <paramref name="offered"/> holds at most the bound at every event the
    /// <paramref name="points"/> average, and its figures are never below the bound's.</summary>
    public static void AssertNoPolicyAbove(ReplayRun bound, TraceNode[] nodes, IReadOnlyList<TracePod> offered, long capacity, int[] points)
    {
        var figures = ReplayMetrics.UnallocatedAt(bound.Events, capacity, points);
        foreach (var name in PlacementPolicy.Names)
        {
            var run = TraceReplay.Run(nodes, offered, PlacementPolicy.Create(name, seed: 7, splitShares: false), seed: 7);
            foreach (var point in points)
            {
                foreach (var i in ReplayMetrics.EventsAt(run.Events, capacity, point))
                    Assert.True(run.Events[i].AllocatedGpuMilli <= bound.Events[i].AllocatedGpuMilli,
                        $"{name} holds {run.Events[i].AllocatedGpuMilli} after pod {i}, bound {bound.Events[i].AllocatedGpuMilli}");
                var figure = ReplayMetrics.UnallocatedAt(run.Events, capacity, [point])[point];
                if (!double.IsNaN(figure)) Assert.True(figures[point] <= figure, $"{name} at {point} %: {figure} < bound {figures[point]}");
            }
        }
    }
}
