using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>Only agents with enough free CPU.</summary>
public sealed class CpuFilter : INodeFilter
{
    public static readonly CpuFilter Instance = new();

    public bool Admits(NodeState node, ResourceRequest request) => request.CpuMilli <= node.FreeCpuMilli;

    public string Explain(ResourceRequest request, IReadOnlyList<NodeState> candidates)
    {
        var most = candidates.MaxBy(n => n.FreeCpuMilli)!;
        return $"insufficient CPU: needs {Format.Cores(request.CpuMilli)}, largest free {Format.Cores(most.FreeCpuMilli)} on {most.AgentId}";
    }
}
