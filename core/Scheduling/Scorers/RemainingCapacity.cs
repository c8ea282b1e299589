using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>What a node would have left after taking a request, as one comparable number: free milli-GPU
/// dominates when the request asks for a GPU (weighted so one milli-GPU outweighs any CPU/memory difference),
/// then the free fractions of CPU and memory.</summary>
public static class RemainingCapacity
{
    public static double After(NodeState node, ResourceRequest request)
    {
        var capacity = node.Capacity;
        var cpu = capacity.CpuMilli > 0 ? (double)(node.FreeCpuMilli - request.CpuMilli) / capacity.CpuMilli : 0;
        var memory = capacity.MemoryBytes > 0 ? (double)(node.FreeMemoryBytes - request.MemoryBytes) / capacity.MemoryBytes : 0;
        if (!request.WantsGpu) return cpu + memory;
        var gpu = node.FreeGpuMilli - node.GpuMilliFor(request);
        return gpu * 4.0 + cpu + memory;
    }
}

/// <summary>Concentrated: the node left with the least capacity after placing.</summary>
public sealed class BestFitScorer : INodeScorer
{
    public static readonly BestFitScorer Instance = new();
    public double Score(NodeState node, ResourceRequest request) => -RemainingCapacity.After(node, request);

    public bool ScoresDependOnNodeOnly => true;
}

/// <summary>Dispersed: the node left with the most capacity after placing.</summary>
public sealed class WorstFitScorer : INodeScorer
{
    public static readonly WorstFitScorer Instance = new();
    public double Score(NodeState node, ResourceRequest request) => RemainingCapacity.After(node, request);

    public bool ScoresDependOnNodeOnly => true;
}
