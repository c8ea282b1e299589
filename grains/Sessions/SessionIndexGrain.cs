using System.Collections.Immutable;
using Granary.SiloPlacement;
using Orleans.Concurrency;

namespace Granary.Sessions;

/// <summary>The ids of one owner's sessions and their latest views; "*" lists every owner's.</summary>
/// <remarks>
/// A grain with a plain key is the front of its index: it spreads the ids over <see cref="Shards"/> shard grains
/// (same class, key + <see cref="ShardSeparator"/> + shard number, the shard chosen by a stable hash of the id) and
/// merges them on List. Each Add then rewrites one shard's state, a sixteenth of the index, instead of the whole
/// index (which grows with every session). Ids a front stored itself before sharding are still listed.
/// "*" holds no ids of its own: a shard tells it its owner (once per activation) and "*" merges the owners' indexes,
/// so creating a session adds its id once. Ids "*" shards stored before this are still listed.
/// Reentrant so that a burst of Adds shares one state write (group commit): every turn changes the state before
/// its first await, and the writer serialises the writes.
/// A shard also keeps, in memory only, each session's latest view, which the session publishes after every stored
/// change; a session it has no view of yet (the shard's first list after an activation) it asks once.
/// A front of one owner keeps, in memory only, the list its shards last gave it: a shard tells its front of a change
/// (before its Publish or Add returns; once per time the front listed it), and the front asks its shards again only
/// after one, so a list that nothing changed since is one call instead of seventeen.
/// </remarks>
[ManagerPlacement, Reentrant]
public sealed class SessionIndexGrain(
    [PersistentState("sessionIndex", GranaryStorage.Name)] IPersistentState<SessionIndexState> state) : Grain, ISessionIndexGrain
{
    public const int Shards = 16;

    /// <summary>Separates an index key from its shard number; no owner name contains it.</summary>
    public const char ShardSeparator = '\u001f';

    private readonly Dictionary<string, IndexedSession> _views = new(StringComparer.Ordinal);
    private HashSet<string>? _known;
    private StateWriter? _writer;
    private Task? _ownerRegistered;

    // On a front: the count of changes its shards told it of, and its merged list as of a count (see ListViews).
    private long _changes;
    private (long Changes, IReadOnlyList<SessionView> Views)? _merged;
    // On a shard: how often its front listed it, and that count as of the last change it told the front of. A front
    // caches only what it listed, so a change needs telling only once per listing; not every publish pays a call.
    // It starts "listed": a front may hold a list from this shard's earlier activation.
    private long _listedByFront = 1;
    private long _toldFrontAt;

    private string? _key;
    private string? _indexKey;

    // GetPrimaryKeyString decodes a new string on every call: read once per activation.
    private string Key => _key ??= this.GetPrimaryKeyString();
    private bool IsShard => Key.Contains(ShardSeparator);
    private string IndexKey => _indexKey ??= Key.Split(ShardSeparator)[0];
    private HashSet<string> Known => _known ??= [.. state.State.SessionIds];
    private StateWriter Writer => _writer ??= new StateWriter(state.WriteStateAsync);

    public async Task Add(string sessionId)
    {
        if (Known.Contains(sessionId))
        {
            return;
        }
        if (!IsShard)
        {
            await GrainFactory.Ref<ISessionIndexGrain>(ShardKey(Key, sessionId)).Add(sessionId);
            return;
        }
        Known.Add(sessionId);
        state.State.SessionIds = state.State.SessionIds.Add(sessionId);
        await Task.WhenAll(Writer.Write(), RegisterOwner(), TellFront());
    }

    public async Task<IReadOnlyList<string>> List()
    {
        if (IsShard)
        {
            return state.State.SessionIds.ToArray();
        }
        var key = Key;
        var lists = await Task.WhenAll(Enumerable.Range(0, Shards)
            .Select(shard => GrainFactory.Ref<ISessionIndexGrain>($"{key}{ShardSeparator}{shard}").List())
            .Concat(key == ISessionIndexGrain.AllKey
                ? state.State.Owners.Select(owner => GrainFactory.Ref<ISessionIndexGrain>(owner).List())
                : []));
        return state.State.SessionIds.Concat(lists.SelectMany(ids => ids)).Distinct(StringComparer.Ordinal).ToArray();
    }

    public async Task<IReadOnlyList<SessionView>> ListViews()
    {
        if (IsShard)
        {
            _listedByFront++;
            if (IndexKey == ISessionIndexGrain.AllKey)
            {
                // Ids stored in "*"'s shards before it kept owners: their sessions publish to their owners' shards,
                // not here, so they are asked each time.
                _views.Clear();
            }
            var missing = state.State.SessionIds.Where(id => !_views.ContainsKey(id)).ToArray();
            var fetched = await Task.WhenAll(missing.Select(id => GrainFactory.Ref<ISessionGrain>(id).GetIndexed()));
            foreach (var session in fetched.OfType<IndexedSession>())
            {
                Remember(session);
            }
            return state.State.SessionIds.Select(id => _views.GetValueOrDefault(id)?.View).OfType<SessionView>().ToArray();
        }
        var changes = _changes;
        if (_merged is { } merged && merged.Changes == changes)
        {
            return merged.Views;
        }
        var fresh = await MergeShardViews();
        // "*" merges other fronts, which tell it nothing; ids stored before sharding are asked each time.
        if (Key != ISessionIndexGrain.AllKey && state.State.SessionIds.IsEmpty
            && (_merged is null || _merged.Value.Changes < changes))
        {
            _merged = (changes, fresh);
        }
        return fresh;
    }

    private async Task<IReadOnlyList<SessionView>> MergeShardViews()
    {
        var key = Key;
        var lists = await Task.WhenAll(Enumerable.Range(0, Shards)
            .Select(shard => GrainFactory.Ref<ISessionIndexGrain>($"{key}{ShardSeparator}{shard}").ListViews())
            .Concat(key == ISessionIndexGrain.AllKey
                ? state.State.Owners.Select(owner => GrainFactory.Ref<ISessionIndexGrain>(owner).ListViews())
                : []));
        var views = lists.SelectMany(v => v).DistinctBy(v => v.Id, StringComparer.Ordinal).ToList();
        // Ids a front stored itself before sharding have no shard to publish to: asked each time.
        var listed = views.Select(v => v.Id).ToHashSet(StringComparer.Ordinal);
        var unsharded = await Task.WhenAll(state.State.SessionIds.Where(id => !listed.Contains(id))
            .Select(id => GrainFactory.Ref<ISessionGrain>(id).Get()));
        return [.. views, .. unsharded.OfType<SessionView>()];
    }

    public async Task Publish(IndexedSession session)
    {
        if (!IsShard)
        {
            await GrainFactory.Ref<ISessionIndexGrain>(ShardKey(Key, session.View.Id)).Publish(session);
            return;
        }
        // A new id tells the front in Add, a known one here: also when this view is not newer, for it may be the
        // session's retry of a publish whose telling failed after the view was kept.
        var known = Known.Contains(session.View.Id);
        Remember(session);
        await Task.WhenAll(Add(session.View.Id), known ? TellFront() : Task.CompletedTask);
    }

    public Task ShardChanged()
    {
        _changes++;
        return Task.CompletedTask;
    }

    /// <summary>A shard tells its front that its list changed (awaited, so a list asked after the change sees it),
    /// unless it already told it since the front last listed it.</summary>
    private async Task TellFront()
    {
        var listed = _listedByFront;
        if (IndexKey == ISessionIndexGrain.AllKey || listed == _toldFrontAt)
        {
            return;
        }
        await GrainFactory.Ref<ISessionIndexGrain>(IndexKey).ShardChanged();
        _toldFrontAt = Math.Max(_toldFrontAt, listed);
    }

    private void Remember(IndexedSession session)
    {
        if (!_views.TryGetValue(session.View.Id, out var known) || known.Revision < session.Revision)
        {
            _views[session.View.Id] = session;
        }
    }

    public async Task AddOwner(string owner)
    {
        if (Key != ISessionIndexGrain.AllKey)
        {
            throw new InvalidOperationException($"Only the index \"{ISessionIndexGrain.AllKey}\" keeps owners.");
        }
        if (state.State.Owners.Contains(owner))
        {
            return;
        }
        state.State.Owners = state.State.Owners.Add(owner);
        await Writer.Write();
    }

    /// <summary>An owner's shard makes sure "*" knows the owner, once per activation (also for ids stored before
    /// "*" kept owners).</summary>
    private Task RegisterOwner()
    {
        if (_ownerRegistered is null || _ownerRegistered.IsFaulted)
        {
            _ownerRegistered = IndexKey == ISessionIndexGrain.AllKey
                ? Task.CompletedTask
                : GrainFactory.Ref<ISessionIndexGrain>(ISessionIndexGrain.AllKey).AddOwner(IndexKey);
        }
        return _ownerRegistered;
    }

    /// <summary>The shard of the index <paramref name="key"/> that holds the session (stable across processes).</summary>
    public static string ShardKey(string key, string sessionId)
    {
        // FNV-1a: string.GetHashCode differs from one process to the next.
        var hash = 2166136261u;
        foreach (var c in sessionId)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return $"{key}{ShardSeparator}{hash % Shards}";
    }
}

[GenerateSerializer]
public sealed class SessionIndexState
{
    /// <summary>Immutable, so storing the state shares it instead of copying every id (the in-process storage
    /// deep-copies what it stores, and an index only grows).</summary>
    [Id(0)] public ImmutableList<string> SessionIds { get; set; } = [];

    /// <summary>On "*": the owners whose indexes it lists.</summary>
    [Id(1)] public ImmutableList<string> Owners { get; set; } = [];
}
