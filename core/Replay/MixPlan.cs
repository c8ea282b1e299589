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
    /// whole part of its node count, then the packings with the largest fractional parts, until the shape's nodes run
    /// out. A node already running sessions of planned kinds takes the packing that has slots for most of their GPU
    /// (nodes running the most GPU choose first), so a new plan does not strand what runs under the last one; the other
    /// nodes take the rest in that order, in the cluster's order (by agent id).</summary>
    public WorkloadPlan Assign(ClusterState cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var plans = ImmutableDictionary.CreateBuilder<string, NodePlan>(StringComparer.Ordinal);
        foreach (var shape in Packings.Select(p => p.Shape).Distinct())
        {
            var nodes = cluster.Nodes.Where(shape.Takes).ToList();
            var ofShape = Packings.Where(p => p.Shape == shape)
                .Select(p => (Kinds: Kinds(p.Counts), Whole: (int)Math.Floor(p.Nodes + 1e-6), Fraction: p.Nodes - Math.Floor(p.Nodes + 1e-6))).ToList();
            var sequence = ofShape.SelectMany(p => Enumerable.Repeat(p.Kinds, p.Whole))
                .Concat(ofShape.Where(p => p.Fraction > 1e-6).OrderByDescending(p => p.Fraction).Select(p => p.Kinds))
                .Take(nodes.Count).ToList();
            foreach (var (node, kinds) in Match(nodes, sequence))
                plans[node.AgentId] = new NodePlan(kinds, node.Gpus.DeviceCount);
        }
        return new WorkloadPlan(plans.ToImmutable());
    }

    /// <summary>Nodes paired with packings of <paramref name="sequence"/> (one each, at most one per node): first the
    /// nodes running planned kinds, most GPU first, each taking the packing with slots for most of the GPU it runs
    /// (the earliest on a tie); then the others, in order, the remaining packings in sequence order.</summary>
    private static IEnumerable<(NodeState Node, Dictionary<SlotKind, int> Kinds)> Match(
        List<NodeState> nodes, List<Dictionary<SlotKind, int>> sequence)
    {
        // Each distinct packing with the positions in the sequence it still holds, earliest first.
        var positions = Enumerable.Range(0, sequence.Count).GroupBy(i => sequence[i], ReferenceEqualityComparer.Instance)
            .Select(g => new Queue<int>(g)).ToList();
        var taken = new bool[sequence.Count];
        var matched = new Dictionary<SlotKind, int>?[nodes.Count];
        var running = nodes.Select(Running).ToArray();
        foreach (var n in Enumerable.Range(0, nodes.Count).Where(n => running[n].Count > 0).OrderByDescending(n => GpuMilli(running[n])))
        {
            Queue<int>? best = null;
            var bestOverlap = 0L;
            foreach (var packing in positions.Where(q => q.Count > 0))
            {
                var overlap = Overlap(running[n], sequence[packing.Peek()]);
                if (overlap > 0 && (best is null || overlap > bestOverlap || (overlap == bestOverlap && packing.Peek() < best.Peek())))
                    (best, bestOverlap) = (packing, overlap);
            }
            if (best is null) continue;
            var position = best.Dequeue();
            taken[position] = true;
            matched[n] = sequence[position];
        }
        var next = 0;
        for (var n = 0; n < nodes.Count; n++)
        {
            if (matched[n] is null)
            {
                while (next < sequence.Count && taken[next]) next++;
                if (next == sequence.Count) continue;
                taken[next++] = true;
                matched[n] = sequence[next - 1];
            }
            yield return (nodes[n], matched[n]!);
        }
    }

    private static Dictionary<SlotKind, int> Running(NodeState node)
    {
        var running = new Dictionary<SlotKind, int>();
        foreach (var allocation in node.Allocations)
            if (SlotKind.Of(allocation) is { } kind) running[kind] = running.GetValueOrDefault(kind) + 1;
        return running;
    }

    private static long GpuMilli(Dictionary<SlotKind, int> kinds) =>
        kinds.Sum(k => (long)k.Value * k.Key.Devices * k.Key.MilliPerDevice);

    private static long Overlap(Dictionary<SlotKind, int> running, Dictionary<SlotKind, int> packing)
    {
        var overlap = 0L;
        foreach (var (kind, count) in running)
            if (packing.TryGetValue(kind, out var planned)) overlap += (long)Math.Min(count, planned) * kind.Devices * kind.MilliPerDevice;
        return overlap;
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
