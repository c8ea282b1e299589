namespace Granary;

/// <summary>
/// Serialises the WriteStateAsync calls of a grain whose background work (or interleaved turns) changes state:
/// two overlapping writes of one IPersistentState would conflict on its ETag. Writes are group-committed: a
/// Write while another is running queues one more write, and every Write until that one starts shares it. Each
/// caller still gets a write that started after its change, so what it changed is stored when its task ends;
/// a burst of changes costs two writes instead of one per change.
/// </summary>
public sealed class StateWriter(Func<Task> write)
{
    private Task _last = Task.CompletedTask;
    private Pending? _queued;

    public Task Write()
    {
        if (_queued is { Started: false } queued)
        {
            return queued.Task;
        }
        var next = new Pending();
        _queued = next;
        next.Task = After(_last, next);
        _last = next.Task;
        return next.Task;
    }

    private async Task After(Task previous, Pending self)
    {
        // The previous write's failure is observed by whoever awaited it; this write goes ahead either way.
        await Task.WhenAny(previous);
        self.Started = true;
        await write();
    }

    private sealed class Pending
    {
        public bool Started { get; set; }
        public Task Task { get; set; } = Task.CompletedTask;
    }
}
