using System.Collections.Concurrent;
using Orleans.Serialization;
using Orleans.Storage;

namespace Granary.Silo.Adapters.Storage;

/// <summary>
/// Grain state kept in this silo's own memory (Granary:GrainStorage=memory): gone when the process ends, as with
/// Orleans' memory storage, but without its storage grains. Those cost every write a grain call, often to another
/// silo, carrying the whole serialized state; here a write is a deep copy (immutable records are shared, not
/// copied) into a dictionary. Fine because Granary pins its grains to silos by role (sessions and schedulers on the
/// manager, agents on their node's silo), so a grain is reactivated where its state is. A cluster whose grains
/// must survive a silo, or with more than one manager silo, needs durable storage (adonet).
/// ETags are checked on write, like a database's, so a stale activation cannot overwrite a newer state.
/// </summary>
public sealed class InProcessGrainStorage(DeepCopier copier) : IGrainStorage
{
    private readonly ConcurrentDictionary<(string StateName, GrainId GrainId), Entry> _entries = new();
    private long _etag;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_entries.TryGetValue((stateName, grainId), out var entry))
        {
            grainState.State = copier.Copy((T)entry.State);
            grainState.ETag = entry.ETag;
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var entry = new Entry(copier.Copy(grainState.State)!, NextETag());
        Replace((stateName, grainId), grainState.ETag, entry);
        grainState.ETag = entry.ETag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Replace((stateName, grainId), grainState.ETag, null);
        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private void Replace((string, GrainId) key, string? expectedETag, Entry? value)
    {
        while (true)
        {
            if (_entries.TryGetValue(key, out var current))
            {
                if (current.ETag != expectedETag)
                {
                    throw new InconsistentStateException($"State {key} was written by another activation meanwhile.", current.ETag, expectedETag);
                }
                var replaced = value is null
                    ? _entries.TryRemove(new KeyValuePair<(string, GrainId), Entry>(key, current))
                    : _entries.TryUpdate(key, value, current);
                if (replaced)
                {
                    return;
                }
            }
            else
            {
                if (expectedETag is not null)
                {
                    throw new InconsistentStateException($"State {key} was cleared by another activation meanwhile.", null, expectedETag);
                }
                if (value is null || _entries.TryAdd(key, value))
                {
                    return;
                }
            }
        }
    }

    private string NextETag() => Interlocked.Increment(ref _etag).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed record Entry(object State, string ETag);
}
