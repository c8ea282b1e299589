using Granary.Devices;
using Granary.Scheduling.Replay;

namespace Granary.Benchmarks.PlanTracking;

/// <summary>
/// Online placement that follows a plan: the configuration LP's node packings (<see cref="ConfigurationBound.Packings"/>)
/// for a sample of the same mix, rounded to one packing per node. A pod takes an open slot of its type where it fits;
/// without one it goes by best fit outside the plan, except that while at most <c>hold</c> of the devices are whole
/// a share takes no whole device (hold 0: never held; 1: always). Pods without GPUs go where the plan leaves the most
/// CPU. It decides each pod once, in arrival order, knowing the mix but not the arrivals.
/// </summary>
internal sealed class PlanTracker(IReadOnlyList<TraceNode> nodes, IReadOnlyList<ConfigurationBound.NodePacking> plan,
    IReadOnlyList<PackingBound.PodType> types, int seed)
{
    private readonly Dictionary<PackingBound.PodType, int> _typeIndex = types.Select((type, t) => (type, t)).ToDictionary(x => x.type, x => x.t);

    /// <summary>The arrival-only replay of <paramref name="offered"/> (the events <see cref="ReplayMetrics"/> reads).</summary>
    public ReplayEvent[] Replay(IReadOnlyList<TracePod> offered, double hold)
    {
        var cluster = Follow();
        var events = new ReplayEvent[offered.Count];
        long arrived = 0, allocated = 0;
        for (var i = 0; i < offered.Count; i++)
        {
            var pod = offered[i];
            arrived += pod.TotalGpuMilli;
            var placed = pod.TotalGpuMilli == 0 ? PlaceWithoutGpu(cluster, pod)
                : (_typeIndex.TryGetValue(PackingBound.PodType.Of(pod), out var type) && cluster.Any(n => n.TryPlaceInSlot(pod, type)))
                  || PlaceOutsidePlan(cluster, pod, hold);
            if (placed) allocated += pod.TotalGpuMilli;
            events[i] = new ReplayEvent(arrived, allocated, placed);
        }
        return events;
    }

    /// <summary>The cluster in a seeded order, each shape's nodes given the plan's packings: each packing on the whole
    /// part of its node count, then the largest fractional parts, until the shape's nodes run out.</summary>
    private List<PlannedNode> Follow()
    {
        var cluster = nodes.Where(n => n.Gpus > 0).Select(n => new PlannedNode(n)).ToList();
        new Random(seed).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(cluster));
        foreach (var shape in plan.Select(p => p.Shape).Distinct())
        {
            // Each packing's node count as a whole part and a fraction (within the LP's tolerance).
            var packings = plan.Where(p => p.Shape == shape)
                .Select(p => (p.Counts, Whole: (int)Math.Floor(p.Nodes + 1e-6), Fraction: p.Nodes - Math.Floor(p.Nodes + 1e-6))).ToList();
            var assigned = new List<IReadOnlyList<int>>();
            foreach (var p in packings) assigned.AddRange(Enumerable.Repeat(p.Counts, p.Whole));
            foreach (var p in packings.OrderByDescending(p => p.Fraction).Where(p => p.Fraction > 1e-6)) assigned.Add(p.Counts);
            var ofShape = cluster.Where(n => shape.Takes(n.Node)).ToList();
            for (var i = 0; i < ofShape.Count && i < assigned.Count; i++) ofShape[i].Follow(assigned[i], types);
        }
        return cluster;
    }

    private static bool PlaceOutsidePlan(List<PlannedNode> cluster, TracePod pod, double hold)
    {
        if (pod.GpuMilli >= GpuAllocationMap.DeviceMilli)
        {
            var fewest = (Node: (PlannedNode?)null, Devices: (int[]?)null, Whole: int.MaxValue);
            foreach (var node in cluster)
                if (node.WholeDevicesFor(pod) is { } devices && node.FreeMilli.Count(f => f == GpuAllocationMap.DeviceMilli) is var whole && whole < fewest.Whole)
                    fewest = (node, devices, whole);
            fewest.Node?.Take(pod, fewest.Devices!, planned: false);
            return fewest.Node is not null;
        }
        var inUseOnly = hold > 0 && WholeDevices(cluster) <= hold * cluster.Sum(n => n.FreeMilli.Length);
        var best = (Node: (PlannedNode?)null, Device: -1, Left: int.MaxValue);
        foreach (var node in cluster)
            if (node.BestFitShare(pod, inUseOnly) is var (device, left) && device >= 0 && left < best.Left)
                best = (node, device, left);
        best.Node?.Take(pod, [best.Device], planned: false);
        return best.Node is not null;
    }

    private static int WholeDevices(List<PlannedNode> cluster) => cluster.Sum(n => n.FreeMilli.Count(f => f == GpuAllocationMap.DeviceMilli));

    private static bool PlaceWithoutGpu(List<PlannedNode> cluster, TracePod pod)
    {
        var (most, slack) = ((PlannedNode?)null, long.MinValue);
        foreach (var node in cluster)
        {
            if (!node.FitsCpuMemoryModel(pod)) continue;
            var left = Math.Min(node.FreeCpuMilli - Math.Max(0, node.PlannedCpuMilli) - pod.CpuMilli,
                (node.FreeMemoryMib - Math.Max(0, node.PlannedMemoryMib) - pod.MemoryMib) * 10);
            if (left > slack) (most, slack) = (node, left);
        }
        most?.Take(pod, [], planned: false);
        return most is not null;
    }
}
