using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>Only agents with enough free memory.</summary>
public sealed class MemoryFilter : INodeFilter
{
    public static readonly MemoryFilter Instance = new();

    public bool Admits(NodeState node, ResourceRequest request) => request.MemoryBytes <= node.FreeMemoryBytes;

    public string Explain(ResourceRequest request, IReadOnlyList<NodeState> candidates)
    {
        var most = candidates.MaxBy(n => n.FreeMemoryBytes)!;
        return $"insufficient memory: needs {Format.Bytes(request.MemoryBytes)}, largest free {Format.Bytes(most.FreeMemoryBytes)} on {most.AgentId}";
    }
}
