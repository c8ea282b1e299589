namespace Granary.Scheduling.Replay;

/// <summary>The FGD paper's metric: unallocated GPU % of capacity at given arrived-workload percentages.</summary>
public static class ReplayMetrics
{
    public static readonly int[] ArrivalPoints = [90, 95, 100, 105, 110, 120, 130];

    /// <summary>For each point P: the events whose arrived % rounds (half to even) to P, their allocated %
    /// (rounded to 2 decimals) averaged, as 100 − that; with no such event, the events within P ± 1; NaN if none.</summary>
    public static IReadOnlyDictionary<int, double> UnallocatedAt(IReadOnlyList<ReplayEvent> events, long capacityGpuMilli, IEnumerable<int> points)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(points);
        var result = new SortedDictionary<int, double>();
        foreach (var point in points)
        {
            var used = EventsAt(events, capacityGpuMilli, point);
            if (used.Count == 0) { result[point] = double.NaN; continue; }
            double sum = 0;
            foreach (var i in used) sum += Math.Round(events[i].AllocatedGpuMilli * 100.0 / capacityGpuMilli, 2, MidpointRounding.ToEven);
            result[point] = 100 - Math.Round(sum / used.Count, 2, MidpointRounding.ToEven);
        }
        return result;
    }

    /// <summary>The events of <paramref name="offered"/> arriving with nothing allocated: what a bound fills in.</summary>
    public static ReplayEvent[] ArrivalsOnly(IReadOnlyList<TracePod> offered)
    {
        ArgumentNullException.ThrowIfNull(offered);
        var events = new ReplayEvent[offered.Count];
        long arrived = 0;
        for (var i = 0; i < offered.Count; i++) events[i] = new ReplayEvent(arrived += offered[i].TotalGpuMilli, 0, Placed: false);
        return events;
    }

    /// <summary>The indices of the events the figure at <paramref name="point"/> averages: those whose arrived %
    /// rounds to the point, or those within point ± 1 when none does. Depends on arrivals only, so every policy
    /// of one seed (and the bound) averages the same events.</summary>
    public static IReadOnlyList<int> EventsAt(IReadOnlyList<ReplayEvent> events, long capacityGpuMilli, int point)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (capacityGpuMilli <= 0) throw new ArgumentOutOfRangeException(nameof(capacityGpuMilli), "the cluster has no GPUs");
        var exact = new List<int>();
        var near = new List<int>();
        for (var i = 0; i < events.Count; i++)
        {
            var arrived = Math.Round(events[i].ArrivedGpuMilli * 100.0 / capacityGpuMilli, MidpointRounding.ToEven);
            if (arrived == point) exact.Add(i);
            if (arrived >= point - 1 && arrived <= point + 1) near.Add(i);
        }
        return exact.Count > 0 ? exact : near;
    }
}
