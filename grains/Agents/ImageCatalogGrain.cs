using Granary.SiloPlacement;
using Orleans.Concurrency;

namespace Granary.Agents;

/// <summary>The environments the cluster can run: what each agent last reported, merged per image reference.</summary>
/// <remarks>Reentrant so that a burst of reports shares one state write (group commit): every turn changes the
/// state before its first await. The merged list is kept until a report changes it: every session start reads it.</remarks>
[ManagerPlacement, Reentrant]
public sealed class ImageCatalogGrain(
    [PersistentState("imageCatalog", GranaryStorage.Name)] IPersistentState<ImageCatalogState> state) : Grain, IImageCatalogGrain
{
    private StateWriter? _writer;
    private CatalogImage[]? _merged;

    public async Task Report(string agentId, ImageDescriptor[] images)
    {
        // A new dictionary, never the stored one changed: the ADO.NET storage serializes the state off this grain's
        // thread, while the next turn of this reentrant grain runs.
        state.State.ImagesByAgent = new Dictionary<string, ImageDescriptor[]>(state.State.ImagesByAgent) { [agentId] = images };
        _merged = null;
        await (_writer ??= new StateWriter(state.WriteStateAsync)).Write();
    }

    public Task<IReadOnlyList<CatalogImage>> List() => Task.FromResult<IReadOnlyList<CatalogImage>>(_merged ??= Merge());

    private CatalogImage[] Merge() =>
        state.State.ImagesByAgent
            .SelectMany(entry => entry.Value.Select(image => (Agent: entry.Key, Image: image)))
            .GroupBy(e => e.Image.Reference, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CatalogImage(g.First().Image, g.Select(e => e.Agent).Order(StringComparer.Ordinal).ToArray()))
            .ToArray();
}

[GenerateSerializer]
public sealed class ImageCatalogState
{
    [Id(0)] public Dictionary<string, ImageDescriptor[]> ImagesByAgent { get; set; } = [];
}
