using Granary.Devices;
using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>GPU packing (the FGD paper's baseline): prefer devices already in use, then free devices on a node
/// already in use, then an idle node with the fewest devices. Within the first class, the least free share left.</summary>
public sealed class GpuPackingScorer : INodeScorer
{
    public static readonly GpuPackingScorer Instance = new();

    public double Score(NodeState node, ResourceRequest request)
    {
        var gpus = node.Gpus;
        var devices = gpus.DeviceCount;
        if (!request.WantsGpu) return 0;
        if (gpus.IsEmpty) return 33 - devices;                             // idle node
        if (request.Gpus > 0) return 50 - request.Gpus;                    // whole devices on a used node
        var milli = node.GpuMilliFor(request);
        if (milli > GpuAllocationMap.DeviceMilli) return 50 - (milli + 999) / 1000;
        var tightest = int.MaxValue;                                       // a used device that holds it
        for (var i = 0; i < devices; i++)
        {
            var free = gpus.FreeMilliAt(i);
            if (free >= milli && free < GpuAllocationMap.DeviceMilli && free < tightest
                && GpuAllocationMap.ModelMatches(gpus.Devices[i], request.GpuModels)) tightest = free;
        }
        return tightest == int.MaxValue ? 49 : 100 - tightest / 100.0;
    }
}
