using Granary.Resources;
using Granary.Scheduling.Replay;

namespace Granary.Scheduling;

/// <summary>
/// What a scheduler's planner solves a <see cref="MixPlan"/> from, copied out of the scheduler's view on its own turn
/// so that the solve (seconds on a small cluster, minutes on a thousand nodes) can run off it: the group's nodes as
/// trace nodes, and the mix it observes (the requests it remembers, or what it runs and what waits) as trace pods.
/// </summary>
/// <remarks>
/// Only what the plan can hold is kept: schedulable nodes whose GPUs are of one model, without MIG, at the group's
/// usual fGPU per GPU; requests for whole GPUs or a share of one device (a slot kind), and requests without GPUs.
/// A running session's GPU models are not known from its allocation, so it is planned as running on any model.
/// Memory is planned in whole MiB (rounded up): a request whose memory is not a whole MiB never matches its slot.
/// </remarks>
public sealed record PlanInput(IReadOnlyList<TraceNode> Nodes, IReadOnlyList<TracePod> Observed)
{
    /// <summary>The plan the group follows now, if any: the new plan must beat it in trial to replace it.</summary>
    public MixPlan? Current { get; init; }

    /// <summary>The nodes and the observed mix of a group: the <paramref name="arrivals"/> it remembers when there
    /// are any, else what runs (its allocations) and <paramref name="queued"/>.</summary>
    public static PlanInput Of(ClusterState cluster, IEnumerable<ResourceRequest> queued, IReadOnlyCollection<ResourceRequest>? arrivals = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(queued);
        var fgpuPerGpu = cluster.Nodes.Where(n => n.Gpus.Devices.Count > 0).GroupBy(n => n.Capacity.FgpuPerGpu)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Select(g => g.Key).FirstOrDefault(1);
        var nodes = cluster.Nodes.Where(n => Plannable(n, fgpuPerGpu))
            .Select(n => new TraceNode(n.AgentId, n.Capacity.CpuMilli, n.Capacity.MemoryBytes >> 20, n.Gpus.Devices.Count, n.Gpus.Devices[0].Model))
            .ToArray();
        var pods = new List<TracePod>();
        if (arrivals is { Count: > 0 })
        {
            foreach (var request in arrivals) AddRequest(pods, request, fgpuPerGpu);
            return new PlanInput(nodes, pods);
        }
        foreach (var node in cluster.Nodes)
            foreach (var allocation in node.Allocations)
                if (allocation.Gpus.Length == 0) pods.Add(Pod(allocation.CpuMilli, allocation.MemoryBytes, null, null));
                else if (SlotKind.Of(allocation) is { } kind) pods.Add(Pod(kind.CpuMilli, kind.MemoryBytes, kind, null));
        foreach (var request in queued) AddRequest(pods, request, fgpuPerGpu);
        return new PlanInput(nodes, pods);
    }

    private static void AddRequest(List<TracePod> pods, ResourceRequest request, int fgpuPerGpu)
    {
        if (!request.WantsGpu) pods.Add(Pod(request.CpuMilli, request.MemoryBytes, null, request.GpuModels));
        else if (SlotKind.Of(request, fgpuPerGpu) is { } kind) pods.Add(Pod(request.CpuMilli, request.MemoryBytes, kind, request.GpuModels));
    }

    /// <summary>The plan for the observed mix repeated, in order, until it asks for the nodes' GPU capacity (the
    /// arrival-only replay's 100 % point); null when the nodes have no GPU or nothing observed asks for one.</summary>
    public MixPlan? Solve(double pricingSeconds = 0.5) =>
        Repeated() is { } arrived ? MixPlan.For(Nodes, arrived, pricingSeconds: pricingSeconds) : null;

    /// <summary>
    /// The plan (<see cref="Solve"/>, or <see cref="Current"/> where that holds as much) and whether to follow it at
    /// <paramref name="hold"/>: the repeated mix, in the order observed, put to <see cref="PlanTrial"/> against
    /// <paramref name="byDefault"/> (fresh instances of what the group places by without a plan). Null as for
    /// <see cref="Solve"/>.
    /// </summary>
    public PlanChoice? Choose(double hold, Func<PlacementPolicy> byDefault, double pricingSeconds = 0.5)
    {
        ArgumentNullException.ThrowIfNull(byDefault);
        if (Repeated() is not { } arrived) return null;
        return PlanTrial.Run(Nodes, arrived, MixPlan.For(Nodes, arrived, pricingSeconds: pricingSeconds), hold, byDefault, Current);
    }

    private List<TracePod>? Repeated()
    {
        var capacity = Nodes.Sum(n => (long)n.Gpus * 1000);
        var asked = Observed.Sum(p => p.TotalGpuMilli);
        if (capacity == 0 || asked == 0) return null;
        var arrived = new List<TracePod>();
        for (long total = 0; total < capacity; total += arrived[^1].TotalGpuMilli)
            arrived.Add(Observed[arrived.Count % Observed.Count]);
        return arrived;
    }

    private static bool Plannable(NodeState node, int fgpuPerGpu)
    {
        var devices = node.Gpus.Devices;
        return node.Schedulable && devices.Count > 0 && node.Capacity.FgpuPerGpu == fgpuPerGpu
            && !node.Gpus.HasMigSlots && !node.Gpus.FractionsOnMigSlotsOnly
            && devices.All(d => string.Equals(d.Model, devices[0].Model, StringComparison.OrdinalIgnoreCase));
    }

    private static TracePod Pod(long cpuMilli, long memoryBytes, SlotKind? kind, string[]? models) => new(
        "observed", cpuMilli, (memoryBytes + (1L << 20) - 1) >> 20, kind?.Devices ?? 0, kind?.MilliPerDevice ?? 0,
        models is { Length: > 0 } ? models : null);
}
