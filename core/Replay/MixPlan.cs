using System.Collections.Immutable;
using System.Text.Json;

namespace Granary.Scheduling.Replay;

/// <summary>
/// The configuration LP's plan for a mix (<see cref="ConfigurationBound.Packings"/>): packings of whole nodes per
/// node shape, each on a fractional number of nodes, over <see cref="Types"/>. Solved for a draw of the mix, not for
/// the arrivals it is followed on, so it knows what FGD's target workload knows.
/// </summary>
public sealed record MixPlan(IReadOnlyList<ConfigurationBound.NodePacking> Packings, IReadOnlyList<PackingBound.PodType> Types)
{
    /// <summary>The plan for the pods that draw <paramref name="drawSeed"/> offers up to the 100 % arrival point
    /// (<see cref="ReplayWorkload.ForSeed"/>), ready for pods of every type of <paramref name="pods"/>. Takes minutes on
    /// the shared trace (the configuration bound's solve).</summary>
    public static MixPlan Solve(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, int drawSeed,
        double inflation = ReplayWorkload.DefaultInflation)
    {
        ArgumentNullException.ThrowIfNull(pods);
        var planned = Draw(nodes, pods, drawSeed, inflation);
        return For(nodes, planned, pods.Concat(planned));
    }

    /// <summary>The pods that draw <paramref name="drawSeed"/> offers up to the 100 % arrival point (the last arrival
    /// the replay's figure there averages): what <see cref="Solve"/> plans for.</summary>
    public static IReadOnlyList<TracePod> Draw(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> pods, int drawSeed,
        double inflation = ReplayWorkload.DefaultInflation)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var capacity = nodes.Sum(n => (long)n.Gpus * 1000);
        var draw = ReplayWorkload.ForSeed(pods, capacity, drawSeed, inflation);
        var arrivals = ReplayMetrics.ArrivalsOnly(draw);
        // On a small cluster with large pods no arrival may come within a point of 100 %: then up to the last below it.
        var at100 = ReplayMetrics.EventsAt(arrivals, capacity, 100);
        var last = at100.Count > 0 ? at100[^1] : Array.FindLastIndex(arrivals, e => e.ArrivedGpuMilli <= capacity);
        return draw.Take(Math.Max(last, 0) + 1).ToArray();
    }

    /// <summary>The plan for exactly <paramref name="arrived"/> on <paramref name="nodes"/>, ready for pods of every type
    /// of <paramref name="universe"/> (null: of those arrived); each node packing may take CP-SAT up to
    /// <paramref name="pricingSeconds"/>.</summary>
    public static MixPlan For(IReadOnlyList<TraceNode> nodes, IReadOnlyList<TracePod> arrived, IEnumerable<TracePod>? universe = null,
        double pricingSeconds = 0.5)
    {
        ArgumentNullException.ThrowIfNull(arrived);
        using var bound = new ConfigurationBound(nodes, universe ?? arrived, pricingSeconds);
        foreach (var pod in arrived) bound.Arrive(pod);
        bound.MaxAllocatedGpuMilli();
        return new MixPlan(bound.Packings(), bound.Types);
    }

    /// <summary>What each node of <paramref name="cluster"/> should hold: per node shape, each packing goes on the
    /// whole part of its node count, then the packings with the largest fractional parts, one per node, until the
    /// shape's nodes run out; nodes in the cluster's order (by agent id).</summary>
    public WorkloadPlan Assign(ClusterState cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var plans = ImmutableDictionary.CreateBuilder<string, NodePlan>(StringComparer.Ordinal);
        foreach (var shape in Packings.Select(p => p.Shape).Distinct())
        {
            var ofShape = Packings.Where(p => p.Shape == shape)
                .Select(p => (p.Counts, Whole: (int)Math.Floor(p.Nodes + 1e-6), Fraction: p.Nodes - Math.Floor(p.Nodes + 1e-6))).ToList();
            var assigned = ofShape.SelectMany(p => Enumerable.Repeat(p.Counts, p.Whole))
                .Concat(ofShape.Where(p => p.Fraction > 1e-6).OrderByDescending(p => p.Fraction).Select(p => p.Counts));
            foreach (var (node, counts) in cluster.Nodes.Where(shape.Takes).Zip(assigned))
                plans[node.AgentId] = new NodePlan(Kinds(counts), node.Gpus.DeviceCount);
        }
        return new WorkloadPlan(plans.ToImmutable());
    }

    public string ToJson() => JsonSerializer.Serialize(this);

    public static MixPlan FromJson(string json) =>
        JsonSerializer.Deserialize<MixPlan>(json) ?? throw new FormatException("the plan file holds no plan");

    private Dictionary<SlotKind, int> Kinds(IReadOnlyList<int> counts)
    {
        var kinds = new Dictionary<SlotKind, int>();
        for (var t = 0; t < counts.Count; t++)
        {
            var type = Types[t];
            if (counts[t] == 0 || type.NumGpu == 0) continue;
            var kind = new SlotKind(type.CpuMilli, type.MemoryMib << 20, type.NumGpu, type.Whole ? 1000 : type.GpuMilli);
            kinds[kind] = kinds.GetValueOrDefault(kind) + counts[t];
        }
        return kinds;
    }
}
