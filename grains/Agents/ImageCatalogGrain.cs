using Granary.SiloPlacement;

namespace Granary.Agents;

/// <summary>The environments the cluster can run: what each agent last reported, merged per image reference.</summary>
[ManagerPlacement]
public sealed class ImageCatalogGrain(
    [PersistentState("imageCatalog", GranaryStorage.Name)] IPersistentState<ImageCatalogState> state) : Grain, IImageCatalogGrain
{
    public async Task Report(string agentId, ImageDescriptor[] images)
    {
        state.State.ImagesByAgent[agentId] = images;
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<CatalogImage>> List() => Task.FromResult<IReadOnlyList<CatalogImage>>(
        state.State.ImagesByAgent
            .SelectMany(entry => entry.Value.Select(image => (Agent: entry.Key, Image: image)))
            .GroupBy(e => e.Image.Reference, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CatalogImage(g.First().Image, g.Select(e => e.Agent).Order(StringComparer.Ordinal).ToArray()))
            .ToArray());
}

[GenerateSerializer]
public sealed class ImageCatalogState
{
    [Id(0)] public Dictionary<string, ImageDescriptor[]> ImagesByAgent { get; set; } = [];
}
