using Granary.Agents;
using Granary.Devices;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>What a slot of a <see cref="NodePlan"/> is for: a session's CPU, memory, number of GPUs and milli-GPU on
/// each. It is read back from a node's allocations, so a departure reopens its slot; GPU models are not part of it
/// (a node has one model, and a slot there is for requests that run on it).</summary>
public readonly record struct SlotKind(long CpuMilli, long MemoryBytes, int Devices, int MilliPerDevice)
{
    public bool Whole => MilliPerDevice >= GpuAllocationMap.DeviceMilli;

    /// <summary>The kind of slot the request would take on the node; null for a request no plan has slots for
    /// (no GPU, a MIG profile, or a share split over several GPUs).</summary>
    public static SlotKind? Of(NodeState node, ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(node);
        return Of(request, node.Capacity.FgpuPerGpu);
    }

    /// <summary>The kind of slot the request would take on a node of <paramref name="fgpuPerGpu"/> fGPU per GPU.</summary>
    public static SlotKind? Of(ResourceRequest request, int fgpuPerGpu)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.MigProfile is not null) return null;
        if (request.Gpus > 0) return new SlotKind(request.CpuMilli, request.MemoryBytes, request.Gpus, GpuAllocationMap.DeviceMilli);
        if (request.FgpuMilli <= 0) return null;
        var milli = NodeState.GpuMilliFor(request, fgpuPerGpu);
        return milli < GpuAllocationMap.DeviceMilli ? new SlotKind(request.CpuMilli, request.MemoryBytes, 1, milli) : null;
    }

    /// <summary>The kind of slot an allocation fills; null when it fills none.</summary>
    public static SlotKind? Of(Allocation allocation)
    {
        ArgumentNullException.ThrowIfNull(allocation);
        if (allocation.Gpus.Length == 0) return null;
        var milli = allocation.Gpus[0].Milli;
        if (allocation.Gpus.Length > 1 && milli < GpuAllocationMap.DeviceMilli) return null;
        foreach (var share in allocation.Gpus)
            if (share.Milli != milli) return null;
        return new SlotKind(allocation.CpuMilli, allocation.MemoryBytes, allocation.Gpus.Length, milli);
    }
}
