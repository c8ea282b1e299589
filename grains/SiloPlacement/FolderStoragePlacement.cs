using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Granary.SiloPlacement;

/// <summary>Places a grain that creates, moves and deletes folder directories on an agent silo (the local one when
/// it is one): the folder root is storage the agents mount, and a manager need not mount it at all, so a folder
/// deleted on a manager would leave its files on the share.</summary>
[GenerateSerializer]
public sealed class FolderStoragePlacement : PlacementStrategy
{
    public static readonly FolderStoragePlacement Instance = new();
}

[AttributeUsage(AttributeTargets.Class)]
public sealed class FolderStoragePlacementAttribute() : PlacementAttribute(FolderStoragePlacement.Instance);

public sealed class FolderStoragePlacementDirector(SiloFinder finder) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context) =>
        finder.Find(context, target, metadata => metadata.ContainsKey(SiloMetadataKeys.AgentRole), preferLocal: true,
            "no silo has the agent role (folders live on the agents' storage)");
}
