namespace Granary;

/// <summary>
/// Serialises the WriteStateAsync calls of a grain whose background work (not only its turns) changes state:
/// two overlapping writes of one IPersistentState would conflict on its ETag.
/// </summary>
public sealed class StateWriter(Func<Task> write)
{
    private Task _last = Task.CompletedTask;

    public Task Write()
    {
        _last = After(_last);
        return _last;
    }

    private async Task After(Task previous)
    {
        // The previous write's failure is observed by whoever awaited it; this write goes ahead either way.
        await Task.WhenAny(previous);
        await write();
    }
}
