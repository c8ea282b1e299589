using Granary.Devices;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>
/// Which node to keep for a request that has been passed over MaxSkips times: of the nodes it would fit empty, the
/// one that needs the least to leave before it fits — the largest shortfall over CPU, memory and GPU, each as a part
/// of the node's own capacity — ties to the first. Nothing is known of when running sessions end, so "least to
/// free" stands in for "soonest free"; each round chooses again on its snapshot, so the choice follows the node
/// that drains.
/// </summary>
public static class KeepingNode
{
    /// <summary>The position of the node to keep, or −1 when the request fits none of them even empty.</summary>
    public static int Closest(IReadOnlyList<NodeState> nodes, ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(request);
        var best = -1;
        var least = double.PositiveInfinity;
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            if (!node.Schedulable || !new NodeState(node.AgentId, node.Capacity, []).CanFit(request)) continue;
            var shortfall = Shortfall(node, request);
            if (shortfall < least) { best = i; least = shortfall; }
        }
        return best;
    }

    /// <summary>The largest part of one of the node's resources that must be freed before the request fits (0: it fits
    /// as far as the sum of each resource goes).</summary>
    public static double Shortfall(NodeState node, ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(request);
        var shortfall = Math.Max(Part(request.CpuMilli - node.FreeCpuMilli, node.Capacity.CpuMilli),
            Part(request.MemoryBytes - node.FreeMemoryBytes, node.Capacity.MemoryBytes));
        var gpus = node.Gpus;
        if (request.Gpus > 0)
            shortfall = Math.Max(shortfall, Part(request.Gpus - gpus.CountFullyFree(request.GpuModels), gpus.DeviceCount));
        else if (request.FgpuMilli > 0 && request.MigProfile is null)
        {
            // A share of one device needs room on one device; a larger one is split over several.
            var milli = node.GpuMilliFor(request);
            shortfall = Math.Max(shortfall, milli <= GpuAllocationMap.DeviceMilli
                ? Part(milli - gpus.LargestFreeShare(request.GpuModels), GpuAllocationMap.DeviceMilli)
                : Part(milli - gpus.FreeMilliOfModels(request.GpuModels), gpus.TotalMilli));
        }
        return shortfall;
    }

    private static double Part(long missing, long capacity) => missing <= 0 || capacity <= 0 ? 0 : (double)missing / capacity;
}
