using Granary.Resources;

namespace Granary.Scheduling;

/// <summary>When the request names GPU models, only agents with at least one device of those models.</summary>
public sealed class GpuModelFilter : INodeFilter
{
    public static readonly GpuModelFilter Instance = new();

    public bool Admits(NodeState node, ResourceRequest request) =>
        request.GpuModels is not { Length: > 0 } models || node.Gpus.HasModel(models);

    public string Explain(ResourceRequest request, IReadOnlyList<NodeState> candidates) =>
        $"no agent with GPU model {string.Join(" or ", request.GpuModels ?? [])}";
}
