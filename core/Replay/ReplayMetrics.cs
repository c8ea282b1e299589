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
        var result = new SortedDictionary<int, double>();
        if (capacityGpuMilli <= 0) throw new ArgumentOutOfRangeException(nameof(capacityGpuMilli), "the cluster has no GPUs");
        var arrived = new double[events.Count];
        var allocated = new double[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            arrived[i] = Math.Round(events[i].ArrivedGpuMilli * 100.0 / capacityGpuMilli, MidpointRounding.ToEven);
            allocated[i] = Math.Round(events[i].AllocatedGpuMilli * 100.0 / capacityGpuMilli, 2, MidpointRounding.ToEven);
        }
        foreach (var point in points)
        {
            var mean = Mean(arrived, allocated, a => a == point);
            if (double.IsNaN(mean)) mean = Mean(arrived, allocated, a => a >= point - 1 && a <= point + 1);
            result[point] = double.IsNaN(mean) ? double.NaN : 100 - Math.Round(mean, 2, MidpointRounding.ToEven);
        }
        return result;
    }

    private static double Mean(double[] arrived, double[] allocated, Func<double, bool> match)
    {
        double sum = 0;
        var count = 0;
        for (var i = 0; i < arrived.Length; i++)
            if (match(arrived[i])) { sum += allocated[i]; count++; }
        return count == 0 ? double.NaN : sum / count;
    }
}
