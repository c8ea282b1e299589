using System.Collections.Immutable;
using Granary.SiloPlacement;
using Microsoft.Extensions.Logging;

namespace Granary.Users;

/// <summary>Keeps API-created users by name and every API key by the hash of its secret.</summary>
[ManagerPlacement]
public sealed class UserDirectoryGrain(
    [PersistentState("users", GranaryStorage.Name)] IPersistentState<UserDirectoryState> state,
    TimeProvider clock,
    ILogger<UserDirectoryGrain> logger)
    : Grain, IUserDirectoryGrain
{
    /// <summary>How long a gateway may cache keys without hearing from the directory; also the longest a revocation
    /// waits for a gateway it cannot reach.</summary>
    public static readonly TimeSpan KeyCacheLeaseDuration = TimeSpan.FromSeconds(5);

    private readonly KeyCacheLeases _leases = new(clock, KeyCacheLeaseDuration);
    private KeyDirectoryVersion _version = new(Guid.NewGuid(), 0);

    private UserDirectoryState S => state.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (UserDirectoryMigration.GiveIdsAndKeys(S))
        {
            await state.WriteStateAsync(cancellationToken);
        }
    }

    public async Task<bool> Add(UserRecord user, ApiKeyRecord key)
    {
        if (S.Users.ContainsKey(user.Name) || key.UserId != user.Id || S.KeysByHash.ContainsKey(key.Hash))
        {
            return false;
        }

        S.Users[user.Name] = user;
        S.KeysByHash = S.KeysByHash.SetItem(key.Hash, key);
        await state.WriteStateAsync();
        return true;
    }

    public async Task<UserRecord?> Remove(string name)
    {
        if (!S.Users.TryGetValue(name, out var user))
        {
            return null;
        }

        S.Users.Remove(name);
        S.KeysByHash = S.KeysByHash.RemoveRange(S.KeysByHash.Where(k => k.Value.UserId == user.Id).Select(k => k.Key));
        S.Deleted = S.Deleted.Add(new DeletedUser(user.Id, user.Name, DateTimeOffset.UtcNow));
        await state.WriteStateAsync();
        await Revoke();
        return user;
    }

    public async Task<UserRecord?> Update(string name, UserChanges changes)
    {
        if (!S.Users.TryGetValue(name, out var user))
        {
            return null;
        }

        user = user with
        {
            Role = changes.Role ?? user.Role,
            Policy = changes.ClearPolicy ? null : changes.Policy ?? user.Policy,
            ResourceGroups = changes.ResourceGroups ?? user.ResourceGroups,
            MaxPriority = changes.MaxPriority ?? user.MaxPriority,
        };
        S.Users[name] = user;
        await state.WriteStateAsync();
        await Revoke();
        return user;
    }

    public Task<UserRecord?> Find(string name) => Task.FromResult(S.Users.GetValueOrDefault(name));

    public Task<IReadOnlyList<UserRecord>> List()
        => Task.FromResult<IReadOnlyList<UserRecord>>(S.Users.Values.OrderBy(u => u.Name, StringComparer.Ordinal).ToList());

    public Task<IReadOnlyList<DeletedUser>> ListDeleted() => Task.FromResult<IReadOnlyList<DeletedUser>>(S.Deleted);

    public Task<KeyResolution> Resolve(string keyHash)
    {
        if (!S.KeysByHash.TryGetValue(keyHash, out var key))
        {
            return Task.FromResult(new KeyResolution(null, _version));
        }

        var user = S.Users.Values.FirstOrDefault(u => u.Id == key.UserId);
        return Task.FromResult(new KeyResolution(user is null && !UserIds.IsExternal(key.UserId) ? null : new ResolvedKey(key, user), _version));
    }

    public Task<KeyCacheLease> SubscribeKeyCache(IKeyRevocationObserver observer)
    {
        _leases.Grant(observer);
        return Task.FromResult(new KeyCacheLease(_version, _leases.Duration));
    }

    public Task UnsubscribeKeyCache(IKeyRevocationObserver observer)
    {
        _leases.End(observer);
        return Task.CompletedTask;
    }

    /// <summary>
    /// After a revoking change is stored: tells every gateway with a lease to drop its cached keys, and returns once
    /// each has, or its lease has ended (a gateway that cannot be reached stops using its cache by then), and once
    /// any lease an earlier activation granted has ended.
    /// </summary>
    private async Task Revoke()
    {
        _version = _version.Next();
        var version = _version;
        await Task.WhenAll(_leases.Current()
            .Select(lease => Tell(lease.Observer, lease.Left, version))
            .Append(Task.Delay(_leases.EarlierActivationsLeft, clock)));
    }

    private async Task Tell(IKeyRevocationObserver observer, TimeSpan left, KeyDirectoryVersion version)
    {
        var askedAt = clock.GetTimestamp();
        try
        {
            await observer.Revoked(version).WaitAsync(left, clock);
        }
        catch (Exception exception)
        {
            // Not told: the gateway must not use its cache any more, which is so once its lease has ended.
            _leases.End(observer);
            var rest = left - clock.GetElapsedTime(askedAt);
            logger.LogWarning("A gateway's key cache could not be told of a revocation ({Error}); waiting {Rest} for its lease to end.",
                exception.GetType().Name, rest > TimeSpan.Zero ? rest : TimeSpan.Zero);
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest, clock);
            }
        }
    }

    public async Task<bool> AddKey(ApiKeyRecord key)
    {
        var userExists = UserIds.IsExternal(key.UserId) || S.Users.Values.Any(u => u.Id == key.UserId);
        if (!userExists || S.Deleted.Any(d => d.Id == key.UserId) || S.KeysByHash.ContainsKey(key.Hash))
        {
            return false;
        }

        S.KeysByHash = S.KeysByHash.SetItem(key.Hash, key);
        await state.WriteStateAsync();
        return true;
    }

    public Task<IReadOnlyList<ApiKeyRecord>> Keys(string userId)
        => Task.FromResult<IReadOnlyList<ApiKeyRecord>>(
            S.KeysByHash.Values.Where(k => k.UserId == userId).OrderBy(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal).ToList());

    public async Task<bool> RemoveKey(string userId, string keyId)
    {
        var found = S.KeysByHash.Values.FirstOrDefault(k => k.UserId == userId && k.Id == keyId);
        if (found is null)
        {
            return false;
        }

        S.KeysByHash = S.KeysByHash.Remove(found.Hash);
        await state.WriteStateAsync();
        await Revoke();
        return true;
    }
}

[GenerateSerializer]
public sealed class UserDirectoryState
{
    /// <summary>By name (a mutable dictionary, as stored before keys had their own records).</summary>
    [Id(0)] public Dictionary<string, UserRecord> Users { get; set; } = [];

    /// <summary>By the SHA-256 (hex) of the secret.</summary>
    [Id(1)] public ImmutableDictionary<string, ApiKeyRecord> KeysByHash { get; set; } = ImmutableDictionary<string, ApiKeyRecord>.Empty;

    [Id(2)] public ImmutableList<DeletedUser> Deleted { get; set; } = [];
}
