namespace Granary.Agents;

/// <summary>
/// This process's copy of the image catalog for session creates and starts, which only need to know an image and its
/// apps: asking the catalog grain each time was one more call per session, and its answer names every agent. An image missing from the copy is looked up afresh (it may
/// have just been reported); an image's labels may be up to <see cref="MaxAge"/> old.
/// </summary>
public sealed class ImageCatalogCache(IGrainFactory grains, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private Task<IReadOnlyList<CatalogImage>>? _catalog;
    private DateTimeOffset _fetchedAt;

    /// <summary>The image as the catalog last described it, or null when no agent has it.</summary>
    public async Task<ImageDescriptor?> Find(string reference) => Find(await Including(reference), reference);

    /// <summary>The catalog, fetched afresh when the copy lacks <paramref name="reference"/>.</summary>
    public async Task<IReadOnlyList<CatalogImage>> Including(string reference)
    {
        var catalog = await Current(refresh: false);
        return Find(catalog, reference) is not null ? catalog : await Current(refresh: true);
    }

    private static ImageDescriptor? Find(IReadOnlyList<CatalogImage> catalog, string reference) =>
        catalog.FirstOrDefault(c => c.Image.Reference == reference)?.Image;

    private Task<IReadOnlyList<CatalogImage>> Current(bool refresh)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            var stale = _catalog is null || _catalog.IsFaulted || _catalog.IsCanceled || now - _fetchedAt > MaxAge
                || (refresh && _catalog.IsCompleted);
            if (stale)
            {
                _catalog = grains.Ref<IImageCatalogGrain>(IImageCatalogGrain.Key).List();
                _fetchedAt = now;
            }
            return _catalog!;
        }
    }
}
