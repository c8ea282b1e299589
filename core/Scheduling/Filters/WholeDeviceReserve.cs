using Granary.Agents;
using Granary.Devices;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>
/// Keeps a few GPUs whole for the requests that need whole GPUs: while fewer than <see cref="Threshold"/> of the
/// cluster's GPUs are whole, a share of one GPU goes only on a GPU already in use. A share that breaks a whole GPU
/// strands what it leaves of it for the rare smaller shares, and the whole-GPU requests to come then find no GPU; the
/// configuration bound's best packing refuses such shares while they still fit (docs/scheduling.md, "A whole-device
/// reserve"). The threshold follows the observed mix: <see cref="Factor"/> times the part of the GPU asked for as
/// whole GPUs, so a mix of mostly shares holds few. Its owner measures it once a round (<see cref="Measure"/>), so
/// the placements of one round see the count from its start.
/// </summary>
public sealed class WholeDeviceReserve : INodeFilter
{
    /// <summary>Whole GPUs held, as a part of all GPUs, per unit of the GPU asked for as whole GPUs. Measured from
    /// 0.04 to 0.12 of all GPUs on 20 workloads: holding more than the whole-GPU requests still to come use leaves them
    /// idle (docs/scheduling.md).</summary>
    public const double Factor = 0.11;

    /// <summary>Model-constrained requests' part of the GPU asked for from which nothing is held. The reserve counts every
    /// GPU alike, but a whole GPU of one model is no use to a request for another: with constrained requests at a
    /// tenth of the demand and more it held the wrong ones (+1.6 points on gpuspec10 and gpuspec25), below a twentieth
    /// it gains as on unconstrained mixes (−0.35 on gpuspec1, 2, 3, 5; docs/scheduling.md).</summary>
    public const double MaxConstrainedShare = 0.05;

    /// <summary>In rounds that know the time, nothing is held once no request for whole GPUs arrived or waited in the
    /// queue for this long: the GPUs held would otherwise idle while shares wait.</summary>
    public static readonly TimeSpan DemandHorizon = TimeSpan.FromMinutes(10);

    private int _whole;
    private int _devices;

    /// <summary>The part of all GPUs below which whole GPUs are held (0: none held).</summary>
    public double Threshold { get; private set; }

    /// <summary>Whether shares are kept off whole GPUs this round.</summary>
    public bool Holding { get; private set; }

    /// <summary>Counts the cluster's whole GPUs; <paramref name="wholeShare"/> is the part of the GPU the observed
    /// requests ask for as whole GPUs (0 holds none).</summary>
    public void Measure(ClusterState cluster, double wholeShare)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        Threshold = Factor * Math.Clamp(wholeShare, 0, 1);
        Holding = false;
        if (Threshold == 0) return;
        (_whole, _devices) = CountWhole(cluster);
        Holding = _whole < Threshold * _devices;
    }

    /// <summary>Holds nothing until the next <see cref="Measure"/>.</summary>
    public void Release() => Holding = false;

    public bool Admits(NodeState node, ResourceRequest request) =>
        !Holds(node, request, out var milli) || node.Gpus.CanFitOnDeviceInUse(milli, request.GpuModels);

    /// <summary>Not while holding: a share of a whole device or more passes where a smaller one does not.</summary>
    public bool Monotone => !Holding;

    public string Explain(ResourceRequest request, IReadOnlyList<NodeState> candidates) =>
        $"no GPU in use has room for fgpu {request.FgpuMilli / 1000m:0.###}, and the {_whole} whole GPUs left of {_devices} " +
        $"(under {Threshold:P0}) are kept for whole-GPU requests";

    /// <summary>The round's scorer, which while holding puts a held share on a GPU in use even where the scorer's own
    /// device choice was a whole GPU of the same node (the filter only checks that the node has such a GPU).</summary>
    public INodeScorer KeepingWholeDevices(INodeScorer round) => Holding ? new DeviceChoice(round, this) : round;

    /// <summary>Whether the request is a share the reserve keeps off whole GPUs on this node now. MIG nodes are left
    /// alone: their fractions go on slots, which the count does not weigh.</summary>
    private bool Holds(NodeState node, ResourceRequest request, out int milli)
    {
        milli = 0;
        return Holding && IsShareOfOneGpu(node, request, out milli);
    }

    /// <summary>The whole GPUs and all GPUs a hold decides about: none on MIG nodes, none on nodes closed to new work.</summary>
    internal static (int Whole, int Devices) CountWhole(ClusterState cluster)
    {
        var (whole, devices) = (0, 0);
        foreach (var node in cluster.Nodes)
        {
            if (!node.Schedulable || OnMig(node)) continue;
            whole += node.Gpus.CountFullyFree();
            devices += node.Gpus.DeviceCount;
        }
        return (whole, devices);
    }

    /// <summary>Whether the request is a share of less than one GPU on a node whose GPUs a hold decides about (the
    /// <paramref name="milli"/> it needs there): what a hold may keep off whole GPUs.</summary>
    internal static bool IsShareOfOneGpu(NodeState node, ResourceRequest request, out int milli)
    {
        milli = 0;
        if (!MayBeHeld(request) || OnMig(node)) return false;
        milli = node.GpuMilliFor(request);
        return milli < GpuAllocationMap.DeviceMilli;
    }

    /// <summary>Whether a hold may keep the request off whole GPUs on some node, read without one: a share that is not
    /// a MIG profile (how much of a GPU it is depends on the node's fGPU per GPU, <see cref="IsShareOfOneGpu"/>).</summary>
    internal static bool MayBeHeld(ResourceRequest request) =>
        request.Gpus <= 0 && request.FgpuMilli > 0 && request.MigProfile is null;

    private static bool OnMig(NodeState node) => node.Gpus.HasMigSlots || node.Gpus.FractionsOnMigSlotsOnly;

    private sealed class DeviceChoice(INodeScorer round, WholeDeviceReserve reserve) : INodeScorer
    {
        public double Score(NodeState node, ResourceRequest request) => round.Score(node, request);

        public GpuShare[]? Shares(NodeState node, ResourceRequest request) =>
            reserve.Holds(node, request, out var milli) ? node.Gpus.FindOnDeviceInUse(milli, request.GpuModels) : round.Shares(node, request);

        public bool ScoresDependOnNodeOnly => round.ScoresDependOnNodeOnly;

        public void Placed(NodeState node, Placement placement) => round.Placed(node, placement);
    }
}
