using System.Globalization;

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

    /// <summary>Replays the policy that follows <paramref name="plan"/> at <paramref name="hold"/>
    /// (<see cref="PlacementPolicy.Following"/>) for every seed, each seed's nodes given the plan in its order.</summary>
    public static ReplaySummary RunFollowing(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, MixPlan plan, double hold,
        IReadOnlyList<int> seeds, double inflation = ReplayWorkload.DefaultInflation)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var capacity = nodes.Sum(n => (long)n.Gpus * 1000);
        var runs = seeds.Select(seed => TraceReplay.Run(nodes, ReplayWorkload.ForSeed(pods, capacity, seed, inflation),
            Following(nodes, plan, hold, seed), seed)).ToList();
        return Summarise(FollowingName(hold), seeds, runs);
    }

    /// <summary>The planner's trial in the arrival-only replay: <paramref name="plan"/> (solved for draw
    /// <paramref name="planSeed"/>) put to <see cref="PlanTrial"/> on that draw against the default. The seeds then
    /// replay the winner (<see cref="TriedName"/>).</summary>
    public static PlanChoice Try(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, MixPlan plan, double hold, int planSeed,
        double inflation = ReplayWorkload.DefaultInflation)
    {
        var target = TargetWorkload.FromRequests(pods.Select(p => p.ToRequest()));
        return PlanTrial.Run(nodes, MixPlan.Draw(nodes, pods, planSeed, inflation), plan, hold,
            () => PlacementPolicy.Create(PlacementPolicy.DefaultName, target, planSeed, splitShares: false));
    }

    public static string TriedName(double hold) => FollowingName(hold) + "-tried";

    /// <summary>The time-based replay of the policy that follows <paramref name="plan"/> at <paramref name="hold"/>.</summary>
    public static IReadOnlyList<TimedRun> RunTimedFollowing(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, MixPlan plan,
        double hold, IReadOnlyList<int> seeds, string queue = "fifo", int maxSkips = 16)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var order = QueueOrders.Resolve(queue);
        return seeds.Select(seed => TimedReplay.Run(nodes, pods, Following(nodes, plan, hold, seed), order, maxSkips, seed)).ToArray();
    }

    /// <summary>The time-based replay of the grains' planner (<see cref="Replanner"/>) re-planning every
    /// <paramref name="period"/> of trace time and following its plan at <paramref name="hold"/>; the default before
    /// its first plan. Each failed solve (the plan followed so far kept) goes to <paramref name="failed"/> with its seed;
    /// per seed, <paramref name="solved"/> hears how many plans were solved, how many of them were not followed and how
    /// many left the plan followed in place.</summary>
    public static IReadOnlyList<TimedRun> RunTimedReplanning(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, TimeSpan period,
        double hold, IReadOnlyList<int> seeds, Action<int, string> failed, string queue = "fifo", int maxSkips = 16,
        Action<int, int, int, int>? solved = null)
    {
        ArgumentNullException.ThrowIfNull(failed);
        var target = TargetWorkload.FromRequests(pods.Select(p => p.ToRequest()));
        var order = QueueOrders.Resolve(queue);
        return seeds.Select(seed =>
        {
            var before = PlacementPolicy.Create(PlacementPolicy.DefaultName, target, seed, splitShares: false);
            var planner = new Replanner(period, hold, before);
            var run = TimedReplay.Run(nodes, pods, before, order, maxSkips, seed, planner.PolicyAt);
            foreach (var failure in planner.Failures) failed(seed, failure);
            solved?.Invoke(seed, planner.Solves, planner.Declined, planner.Kept);
            return run;
        }).ToArray();
    }

    /// <summary>"plan-hold-{hold}": how the replay names the policy following a plan at that hold.</summary>
    public static string FollowingName(double hold) => string.Create(CultureInfo.InvariantCulture, $"plan-hold-{hold}");

    /// <summary>"plan-hold-{hold}-replan-{seconds}s": the grains' planner in the time-based replay.</summary>
    public static string ReplanningName(double hold, TimeSpan period) =>
        string.Create(CultureInfo.InvariantCulture, $"plan-hold-{hold}-replan-{period.TotalSeconds:0}s");

    /// <summary>The policy following <paramref name="plan"/> at <paramref name="hold"/> on the replay's cluster of
    /// <paramref name="nodes"/> for <paramref name="seed"/> (its node order).</summary>
    internal static PlacementPolicy Following(IReadOnlyList<TraceNode> nodes, MixPlan plan, double hold, int seed) =>
        PlacementPolicy.Following(plan.Assign(TraceReplay.BuildCluster(nodes, seed)), hold);

    /// <summary>The time-based replay (<see cref="TimedReplay"/>) of the policy for every seed (seeds order the
    /// nodes, so they only move ties); fragmentation-aware policies measure against the trace's target workload.</summary>
    public static IReadOnlyList<TimedRun> RunTimed(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, string policy,
        IReadOnlyList<int> seeds, string queue = "fifo", int maxSkips = 16)
    {
        var target = TargetWorkload.FromRequests(pods.Select(p => p.ToRequest()));
        var order = QueueOrders.Resolve(queue);
        return seeds.Select(seed => TimedReplay.Run(nodes, pods, PlacementPolicy.Create(policy, target, seed, splitShares: false),
            order, maxSkips, seed)).ToArray();
    }

    /// <summary>The packing bound (<see cref="PackingBound"/>) for every seed's arrivals, as a summary named "bound":
    /// no policy can leave less GPU unallocated than it at any arrival point.</summary>
    public static ReplaySummary Bound(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, IReadOnlyList<int> seeds,
        IReadOnlyList<int>? points = null, double inflation = ReplayWorkload.DefaultInflation)
    {
        var capacity = nodes.Sum(n => (long)n.Gpus * 1000);
        var runs = seeds.Select(seed => PackingBound.Run(nodes, ReplayWorkload.ForSeed(pods, capacity, seed, inflation), seed,
            points ?? ReplayMetrics.ArrivalPoints)).ToList();
        return Summarise("bound", seeds, runs, points);
    }

    /// <summary>Per seed, what the configuration bound's best packing holds of each pod type at 100 % arrival
    /// (<see cref="ConfigurationBound.PlacementsAt"/>), seeds in parallel.</summary>
    public static IReadOnlyList<(int Seed, IReadOnlyList<ConfigurationBound.TypePlacement> Placements)> PlacementsByConfigurations(
        IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, IReadOnlyList<int> seeds, double inflation = ReplayWorkload.DefaultInflation)
    {
        var capacity = nodes.Sum(n => (long)n.Gpus * 1000);
        return seeds.AsParallel().AsOrdered()
            .Select(seed => (seed, ConfigurationBound.PlacementsAt(nodes, ReplayWorkload.ForSeed(pods, capacity, seed, inflation), 100)))
            .ToList();
    }

    /// <summary>The configuration bound (<see cref="ConfigurationBound"/>) for every seed's arrivals at
    /// <paramref name="points"/> (default: 100 % only; each point of a seed takes minutes), seeds in parallel; with
    /// <paramref name="holding"/>, for placements keeping the pods of the kind <paramref name="held"/> names that it placed.</summary>
    public static ReplaySummary BoundByConfigurations(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, IReadOnlyList<int> seeds,
        ReplaySummary? holding = null, HeldPods held = HeldPods.LargeShares, IReadOnlyList<int>? points = null,
        double inflation = ReplayWorkload.DefaultInflation)
    {
        points ??= [100];
        var capacity = nodes.Sum(n => (long)n.Gpus * 1000);
        var runs = seeds.Select((seed, i) => (Seed: seed, Held: holding?.Runs[i])).AsParallel().AsOrdered()
            .Select(s => ConfigurationBound.Run(nodes, ReplayWorkload.ForSeed(pods, capacity, s.Seed, inflation), s.Seed, points,
                s.Held, Select(held))).ToList();
        var name = holding is null ? runs[0].Policy : $"bound-configurations-holding-{(held == HeldPods.All ? "all-" : "")}{holding.Policy}";
        return Summarise(name, seeds, runs, points);
    }

    private static Func<PackingBound.PodType, bool> Select(HeldPods held) =>
        held == HeldPods.All ? _ => true : t => !t.Whole && t.GpuMilli > 500;

    /// <summary>The packing bound restricted to placements that hold at least the pods of the kind
    /// <paramref name="held"/> names that <paramref name="policy"/> held at each event (<see cref="PackingBound.Run"/>):
    /// the part of a policy's gap to the bound that no placement keeping what it accepted of that kind can close.</summary>
    public static ReplaySummary BoundHolding(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, IReadOnlyList<int> seeds,
        ReplaySummary policy, HeldPods held = HeldPods.LargeShares, IReadOnlyList<int>? points = null,
        double inflation = ReplayWorkload.DefaultInflation)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var capacity = nodes.Sum(n => (long)n.Gpus * 1000);
        var runs = seeds.Select((seed, i) => PackingBound.Run(nodes, ReplayWorkload.ForSeed(pods, capacity, seed, inflation), seed,
            points ?? ReplayMetrics.ArrivalPoints, policy.Runs[i], Select(held))).ToList();
        var name = held == HeldPods.All ? $"bound-holding-all-{policy.Policy}" : runs[0].Policy;
        return Summarise(name, seeds, runs, points);
    }

    /// <summary>The packing bound for the policies that leave no more GPU unallocated than <paramref name="policy"/>
    /// at any earlier arrival point (<see cref="PackingBound.Floor"/>): what a policy as good as it while the cluster
    /// fills could reach at each point.</summary>
    public static ReplaySummary BoundAsGoodAs(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, IReadOnlyList<int> seeds,
        ReplaySummary policy, IReadOnlyList<int>? points = null, double inflation = ReplayWorkload.DefaultInflation)
    {
        ArgumentNullException.ThrowIfNull(policy);
        points ??= ReplayMetrics.ArrivalPoints;
        var capacity = nodes.Sum(n => (long)n.Gpus * 1000);
        var runs = seeds.Select((seed, i) => PackingBound.Run(nodes, ReplayWorkload.ForSeed(pods, capacity, seed, inflation), seed, points,
            asGoodAs: ReplayMetrics.UnallocatedAt(policy.Runs[i].Events, capacity, points))).ToList();
        return Summarise($"bound-as-good-as-{policy.Policy}", seeds, runs, points);
    }

    public static ReplaySummary Summarise(string policy, IReadOnlyList<int> seeds, IReadOnlyList<ReplayRun> runs, IReadOnlyList<int>? points = null)
    {
        points ??= ReplayMetrics.ArrivalPoints;
        var perRun = runs.Select(r => ReplayMetrics.UnallocatedAt(r.Events, r.CapacityGpuMilli, points)).ToList();
        var mean = new SortedDictionary<int, double>();
        var std = new SortedDictionary<int, double>();
        foreach (var point in points)
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
