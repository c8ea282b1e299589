using System.Collections.Concurrent;
using Orleans.Serialization;
using Orleans.Storage;

namespace Granary.IntegrationTests.Sessions;

/// <summary>
/// The states of a test cluster, kept outside every silo: a stand-in for the PostgreSQL grain storage of a real
/// deployment, so grain state survives the silo that wrote it being killed (Orleans' memory storage keeps state in
/// grains that die with their silo). States are stored serialized, with ETags checked on write like a database's,
/// so a writer holding a stale state (an activation of a killed silo) is refused.
/// </summary>
public sealed class SharedStateStore
{
    private readonly ConcurrentDictionary<string, (byte[] Data, string ETag)> _entries = new();

    public IGrainStorage StorageFor(Serializer serializer) => new SharedGrainStorage(this, serializer);

    private sealed class SharedGrainStorage(SharedStateStore store, Serializer serializer) : IGrainStorage
    {
        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            if (store._entries.TryGetValue(Key(stateName, grainId), out var entry))
            {
                grainState.State = serializer.Deserialize<T>(entry.Data);
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
            var etag = Guid.NewGuid().ToString("N");
            Replace(Key(stateName, grainId), grainState.ETag, (serializer.SerializeToArray(grainState.State), etag));
            grainState.ETag = etag;
            grainState.RecordExists = true;
            return Task.CompletedTask;
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            Replace(Key(stateName, grainId), grainState.ETag, null);
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return Task.CompletedTask;
        }

        private void Replace(string key, string? expectedETag, (byte[], string)? value)
        {
            lock (store._entries)
            {
                var current = store._entries.TryGetValue(key, out var entry) ? entry.ETag : null;
                if (current != expectedETag)
                    throw new InconsistentStateException($"State {key} was written by someone else meanwhile.", current, expectedETag);
                if (value is { } stored)
                    store._entries[key] = stored;
                else
                    store._entries.TryRemove(key, out _);
            }
        }

        private static string Key(string stateName, GrainId grainId) => $"{stateName}/{grainId}";
    }
}
