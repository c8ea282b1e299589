using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Granary.SiloPlacement;

/// <summary>Places a grain on a silo with the manager role (the local one when it has it): sessions, schedulers
/// and registries stay off the agent silos, which run on GPU nodes.</summary>
[GenerateSerializer]
public sealed class ManagerPlacement : PlacementStrategy
{
    public static readonly ManagerPlacement Instance = new();
}

[AttributeUsage(AttributeTargets.Class)]
public sealed class ManagerPlacementAttribute() : PlacementAttribute(ManagerPlacement.Instance);

public sealed class ManagerPlacementDirector(SiloFinder finder) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context) =>
        finder.Find(context, target, metadata => metadata.ContainsKey(SiloMetadataKeys.ManagerRole), preferLocal: true,
            "no silo has the manager role");
}
