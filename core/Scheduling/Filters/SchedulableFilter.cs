using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>Only agents that take new sessions.</summary>
public sealed class SchedulableFilter : INodeFilter
{
    public static readonly SchedulableFilter Instance = new();

    public bool Admits(NodeState node, ResourceRequest request) => node.Schedulable;

    public string Explain(ResourceRequest request, IReadOnlyList<NodeState> candidates) =>
        $"no schedulable agents in resource group ({candidates.Count} not taking new sessions)";
}
