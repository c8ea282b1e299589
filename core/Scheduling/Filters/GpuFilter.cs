using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>Only agents whose devices (of the requested models) hold the request's whole GPUs or fractional share now.
/// <see cref="SingleDevice"/> also requires a fractional share of at most one device to fit on one device (no even
/// split across devices), as the FGD simulator's GPU-sharing pods do. MIG slots are capacity like devices: a fraction
/// needs a free slot that covers it (or a device with room), a profile request a free slot of that profile.</summary>
public sealed class GpuFilter : INodeFilter
{
    public static readonly GpuFilter Instance = new(splitShares: true);
    public static readonly GpuFilter SingleDevice = new(splitShares: false);

    private readonly bool _splitShares;

    private GpuFilter(bool splitShares) => _splitShares = splitShares;

    public bool Admits(NodeState node, ResourceRequest request)
    {
        if (_splitShares || request.Gpus > 0 || request.FgpuMilli <= 0 || request.MigProfile is not null) return node.CanFitGpu(request);
        var milli = node.GpuMilliFor(request);
        return milli > Devices.GpuAllocationMap.DeviceMilli ? node.CanFitGpu(request) : node.Gpus.CanFitOnOneDevice(milli, request.GpuModels);
    }

    public string Explain(ResourceRequest request, IReadOnlyList<NodeState> candidates)
    {
        var models = request.GpuModels;
        var kind = models is { Length: > 0 } ? string.Join("/", models) + " " : "";
        if (candidates.All(n => !n.Gpus.HasModel(models) || n.Gpus.Devices.Count == 0))
            return $"no agent has {kind}GPUs";
        if (request.MigProfile is { } profile)
        {
            var offering = candidates.Where(n => n.Gpus.HasProfile(profile, models)).ToList();
            return offering.Count == 0
                ? $"no agent has {kind}MIG instances of profile {profile}"
                : $"every {kind}MIG instance of profile {profile} is held (on {string.Join(", ", offering.Select(n => n.AgentId).Take(3))})";
        }
        if (request.Gpus > 0)
        {
            var most = candidates.MaxBy(n => n.Gpus.CountFullyFree(models))!;
            return $"no agent has {request.Gpus} free {kind}GPU{(request.Gpus == 1 ? "" : "s")} (most: {most.Gpus.CountFullyFree(models)} on {most.AgentId})";
        }
        if (candidates.All(n => n.Gpus.FractionsOnMigSlotsOnly))
        {
            // MIG nodes: a fraction is a whole MIG instance that covers it.
            var slots = candidates.Select(n => (Node: n, Slot: n.Gpus.LargestFreeSlot(models))).Where(s => s.Slot is not null).ToList();
            var milli = candidates[0].GpuMilliFor(request);
            if (slots.Count == 0)
                return $"no free {kind}MIG instance for fgpu {request.FgpuMilli / 1000m:0.###} ({milli} milli-GPU): every instance is held or the GPUs are not in MIG mode";
            var (node, slot) = slots.MaxBy(s => s.Node.Gpus.CapacityMilliOf(s.Slot!.Uuid));
            return $"no free {kind}MIG instance covers fgpu {request.FgpuMilli / 1000m:0.###} ({node.GpuMilliFor(request)} milli-GPU of a GPU) " +
                   $"(largest free: {slot!.MigProfile}, {node.Gpus.CapacityMilliOf(slot.Uuid)} milli-GPU, on {node.AgentId})";
        }
        if (!_splitShares && candidates.Any(n => n.GpuMilliFor(request) <= Devices.GpuAllocationMap.DeviceMilli))
        {
            var widest = candidates.MaxBy(n => n.Gpus.LargestFreeShare(models))!;
            return $"no {kind}GPU has room for fgpu {request.FgpuMilli / 1000m:0.###} ({widest.GpuMilliFor(request)} milli-GPU) on one device " +
                   $"(largest free share: {widest.Gpus.LargestFreeShare(models)} milli-GPU on {widest.AgentId})";
        }
        var roomiest = candidates.MaxBy(n => n.Gpus.FreeMilliOfModels(models))!;
        return $"no agent has room for fgpu {request.FgpuMilli / 1000m:0.###} ({roomiest.GpuMilliFor(request)} milli-GPU) on its {kind}GPUs " +
               $"(most free: {roomiest.Gpus.FreeMilliOfModels(models)} milli-GPU on {roomiest.AgentId})";
    }
}
