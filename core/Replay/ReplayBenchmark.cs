namespace Granary.Scheduling.Replay;

/// <summary>One policy over several seeds: mean and (sample) standard deviation of unallocated GPU % per arrival
/// point, and pods per second of decision time over all seeds.</summary>
public sealed record ReplaySummary(
    string Policy, IReadOnlyList<int> Seeds, IReadOnlyDictionary<int, double> Mean, IReadOnlyDictionary<int, double> Std,
    double PodsPerSecond, IReadOnlyList<ReplayRun> Runs);

public static class ReplayBenchmark
{
    /// <summary>Replays the policy for every seed. The fragmentation-aware policies measure against the trace's
    /// target workload (request types covering 95 % of the original pods). As in the reference simulator a
    /// GPU-sharing pod must fit on one device.</summary>
    public static ReplaySummary Run(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, string policy, IReadOnlyList<int> seeds,
        double inflation = ReplayWorkload.DefaultInflation)
    {
        var capacity = nodes.Sum(n => (long)n.Gpus * 1000);
        var target = TargetWorkload.FromRequests(pods.Select(p => p.ToRequest()));
        var runs = new List<ReplayRun>();
        foreach (var seed in seeds)
        {
            var offered = ReplayWorkload.ForSeed(pods, capacity, seed, inflation);
            runs.Add(TraceReplay.Run(nodes, offered, PlacementPolicy.Create(policy, target, seed, splitShares: false), seed));
        }
        return Summarise(policy, seeds, runs);
    }

    public static ReplaySummary Summarise(string policy, IReadOnlyList<int> seeds, IReadOnlyList<ReplayRun> runs)
    {
        var perRun = runs.Select(r => ReplayMetrics.UnallocatedAt(r.Events, r.CapacityGpuMilli, ReplayMetrics.ArrivalPoints)).ToList();
        var mean = new SortedDictionary<int, double>();
        var std = new SortedDictionary<int, double>();
        foreach (var point in ReplayMetrics.ArrivalPoints)
        {
            var values = perRun.Select(r => r[point]).Where(v => !double.IsNaN(v)).ToArray();
            mean[point] = values.Length == 0 ? double.NaN : values.Average();
            std[point] = values.Length < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean[point]) * (v - mean[point])) / (values.Length - 1));
        }
        var pods = runs.Sum(r => r.Events.Count);
        var seconds = runs.Sum(r => r.DecisionTime.TotalSeconds);
        return new ReplaySummary(policy, seeds, mean, std, seconds > 0 ? pods / seconds : double.PositiveInfinity, runs);
    }
}
