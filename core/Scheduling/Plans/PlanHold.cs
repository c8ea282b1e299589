using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>
/// Keeps whole GPUs for a plan's whole-GPU slots: while at most <see cref="Threshold"/> of the cluster's GPUs are
/// whole, a share with no open slot on a node goes there only on a GPU in use. Like <see cref="WholeDeviceReserve"/>,
/// but a share in its plan slot always passes, since the plan put it on that device; MIG nodes are left alone as there.
/// Measured once a round (<see cref="Measure(ClusterState)"/>), so the placements of one round see the count from its
/// start; in rounds that know the time it holds only while whole GPUs were asked for lately, as that reserve, and no
/// share has waited long.
/// </summary>
public sealed class PlanHold(WorkloadPlan plan, double threshold) : INodeFilter
{
    private int _whole;
    private int _devices;
    private readonly WholeGpuDemand _demand = new();

    public double Threshold { get; } = threshold;

    /// <summary>Whether shares outside the plan are kept off whole GPUs this round.</summary>
    public bool Holding { get; private set; }

    public void Measure(ClusterState cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        Holding = false;
        if (Threshold <= 0) return;
        (_whole, _devices) = WholeDeviceReserve.CountWhole(cluster);
        Holding = _devices > 0 && _whole <= Threshold * _devices;
    }

    /// <summary>How long a request for a GPU share waits before the hold lets go: in a round where one has waited this
    /// long, counted from when its session asked (<see cref="PendingSession.EnqueuedAt"/>: the wait its user sees,
    /// quota and earlier refused placements included), nothing is held, whatever keeps it waiting. The arrival-only
    /// replay knows no waiting (a share refused is gone), so there the hold is as before; in time a share kept waiting
    /// is a session someone waits for, and one deleted before it ran is the hold's price (docs/scheduling.md, "The
    /// plan's hold gives way to a waiting share").</summary>
    public static readonly TimeSpan ShareWait = TimeSpan.FromSeconds(10);

    /// <summary>As <see cref="Measure(ClusterState)"/> in a round planned at <paramref name="now"/>; nothing is held
    /// once no request in the queue asked for whole GPUs for <see cref="WholeDeviceReserve.DemandHorizon"/>, as the
    /// default's reserve (the GPUs held would otherwise idle while shares wait), nor while a request for a share has
    /// waited <see cref="ShareWait"/>.</summary>
    public void Measure(ClusterState cluster, IReadOnlyList<QueuedRequest> queue, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(queue);
        if (queue.Any(q => WholeGpuDemand.Asks(q.Session.Resources))) _demand.Heard(now);
        Measure(cluster);
        // Read without a node, so a share too large for the hold on every node counts too: it gives way sooner, never later.
        if (_demand.Lapsed(now) || queue.Any(q => WholeDeviceReserve.MayBeHeld(q.Session.Resources) && now - q.Session.EnqueuedAt >= ShareWait))
            Holding = false;
    }

    /// <summary>Whether a share with no open slot on this node is kept off its whole GPUs now (the caller knows there
    /// is no slot).</summary>
    public bool KeepsOffWholeGpus(NodeState node, ResourceRequest request, out int milli)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(request);
        milli = 0;
        return Holding && WholeDeviceReserve.IsShareOfOneGpu(node, request, out milli);
    }

    public bool Admits(NodeState node, ResourceRequest request) =>
        !KeepsOffWholeGpus(node, request, out var milli) || plan.For(node.AgentId)?.OpenSlot(node, request) is not null
        || node.Gpus.CanFitOnDeviceInUse(milli, request.GpuModels);

    public bool Monotone => !Holding;

    public string Explain(ResourceRequest request, IReadOnlyList<NodeState> candidates) =>
        $"no GPU in use has room for fgpu {request.FgpuMilli / 1000m:0.###} outside the plan, and the {_whole} whole GPUs " +
        $"left of {_devices} (at most {Threshold:P0}) are kept for the plan's whole-GPU slots";
}
