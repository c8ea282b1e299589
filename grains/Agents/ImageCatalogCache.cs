namespace Granary.Agents;

/// <summary>
/// This silo's copy of the image catalog for session starts, which only need an image's apps: asking the catalog
/// grain for every start was one more call per session. An image missing from the copy is looked up afresh (it may
/// have just been reported); an image's labels may be up to <see cref="MaxAge"/> old.
/// </summary>
public sealed class ImageCatalogCache(IGrainFactory grains, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private Task<IReadOnlyList<CatalogImage>>? _catalog;
    private DateTimeOffset _fetchedAt;

    /// <summary>The image as the catalog last described it, or null when no agent has it.</summary>
    public async Task<ImageDescriptor?> Find(string reference)
    {
        var found = Find(await Current(refresh: false), reference);
        return found ?? Find(await Current(refresh: true), reference);
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
