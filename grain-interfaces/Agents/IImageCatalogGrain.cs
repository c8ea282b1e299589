namespace Granary.Agents;

/// <summary>The environments the cluster can run (single activation, key "all"): every agent reports the images
/// it has; List gives each image once with the agents that have it.</summary>
public interface IImageCatalogGrain : IGrainWithStringKey
{
    public const string Key = "all";

    /// <summary>Replaces what this agent has.</summary>
    Task Report(string agentId, ImageDescriptor[] images);

    Task<IReadOnlyList<CatalogImage>> List();
}

[GenerateSerializer, Immutable]
public sealed record CatalogImage([property: Id(0)] ImageDescriptor Image, [property: Id(1)] string[] Agents);
