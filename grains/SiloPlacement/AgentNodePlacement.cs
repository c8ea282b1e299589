using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Granary.SiloPlacement;

/// <summary>Places an agent grain (key: node id) on the silo whose metadata says it hosts that node.</summary>
[GenerateSerializer]
public sealed class AgentNodePlacement : PlacementStrategy
{
    public static readonly AgentNodePlacement Instance = new();
}

[AttributeUsage(AttributeTargets.Class)]
public sealed class AgentNodePlacementAttribute() : PlacementAttribute(AgentNodePlacement.Instance);

public sealed class AgentNodePlacementDirector(SiloFinder finder) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var nodeId = target.GrainIdentity.Key.ToString()!;
        var key = SiloMetadataKeys.Node(nodeId);
        return finder.Find(context, target, metadata => metadata.ContainsKey(key), preferLocal: false,
            $"no agent silo hosts node '{nodeId}'");
    }
}
