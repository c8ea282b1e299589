namespace Granary.Scheduling.Replay;

/// <summary>The pods one seed offers, as the FGD simulator builds them: the trace sorted by name and shuffled with
/// the seed, then pods drawn uniformly with replacement from the trace appended while the total GPU request is
/// below inflation × capacity; a list asking for more than that loses random pods until it does not.</summary>
public static class ReplayWorkload
{
    public const double DefaultInflation = 1.3;

    public static IReadOnlyList<TracePod> ForSeed(IReadOnlyList<TracePod> pods, long capacityGpuMilli, int seed, double inflation = DefaultInflation)
    {
        ArgumentNullException.ThrowIfNull(pods);
        var random = new Random(seed);
        var list = pods.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        Shuffle(list, random);
        if (list.Count == 0) return list;

        var target = inflation * capacityGpuMilli;
        var total = list.Sum(p => p.TotalGpuMilli);
        if (total < target)
        {
            if (pods.All(p => p.TotalGpuMilli == 0)) return list;   // no GPU demand: nothing to inflate
            while (total < target)
            {
                var pod = pods[random.Next(pods.Count)];
                list.Add(pod);
                total += pod.TotalGpuMilli;
            }
        }
        else
        {
            while (total > target)
            {
                var i = random.Next(list.Count);
                total -= list[i].TotalGpuMilli;
                list.RemoveAt(i);
            }
        }
        return list;
    }

    private static void Shuffle<T>(List<T> list, Random random)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
