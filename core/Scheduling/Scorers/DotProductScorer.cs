using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>Tetris-style alignment, as the FGD paper's baseline uses it: the dot product of the request and the
/// node's free resources (each as a fraction of the node's capacity); the smallest product (tightest node) wins.</summary>
public sealed class DotProductScorer : INodeScorer
{
    public static readonly DotProductScorer Instance = new();

    public double Score(NodeState node, ResourceRequest request)
    {
        var capacity = node.Capacity;
        double dot = 0;
        if (capacity.CpuMilli > 0)
            dot += (double)request.CpuMilli / capacity.CpuMilli * node.FreeCpuMilli / capacity.CpuMilli;
        if (capacity.MemoryBytes > 0)
            dot += (double)request.MemoryBytes / capacity.MemoryBytes * node.FreeMemoryBytes / capacity.MemoryBytes;
        var total = node.Gpus.TotalMilli;
        if (total > 0) dot += (double)node.GpuMilliFor(request) / total * node.FreeGpuMilli / total;
        return -dot;
    }
}
