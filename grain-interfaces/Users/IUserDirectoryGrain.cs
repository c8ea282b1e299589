using Orleans.Concurrency;

namespace Granary.Users;

/// <summary>
/// Users created through the API and every user's API keys (single activation, key "all"), shared by every
/// gateway. Gateways cache resolved keys only under a lease (<see cref="SubscribeKeyCache"/>): every change that
/// revokes a key (a key or user deleted, a user changed) tells each leased gateway before it returns, or waits until
/// that gateway's lease has ended, so a revoked key stops working on every gateway with the next request. A user
/// and its keys change in one state write: deleting a user removes its keys. Calls no grain, only the gateways'
/// observers.
/// </summary>
public interface IUserDirectoryGrain : IGrainWithStringKey
{
    public const string Key = "all";

    /// <summary>Adds the user with its first key; false when a user with this name already exists.</summary>
    Task<bool> Add(UserRecord user, ApiKeyRecord key);

    /// <summary>Removes the user and all of its keys, and remembers it as deleted; null when there was none.</summary>
    Task<UserRecord?> Remove(string name);

    /// <summary>Applies the changes; null when there is no such user.</summary>
    Task<UserRecord?> Update(string name, UserChanges changes);

    [ReadOnly]
    Task<UserRecord?> Find(string name);

    [ReadOnly]
    Task<IReadOnlyList<UserRecord>> List();

    [ReadOnly]
    Task<IReadOnlyList<DeletedUser>> ListDeleted();

    /// <summary>The key with this hash and its user (Found null when no key has it), and the version it was found at.
    /// Expiry is the caller's to check.</summary>
    [ReadOnly]
    Task<KeyResolution> Resolve(string keyHash);

    /// <summary>Grants (or renews) a gateway's key-cache lease: it is told of each revocation while the lease lasts.</summary>
    Task<KeyCacheLease> SubscribeKeyCache(IKeyRevocationObserver observer);

    /// <summary>Ends a gateway's lease (it stops).</summary>
    Task UnsubscribeKeyCache(IKeyRevocationObserver observer);

    /// <summary>Adds a key; false when its user was deleted or (for an API user's id) does not exist.</summary>
    Task<bool> AddKey(ApiKeyRecord key);

    [ReadOnly]
    Task<IReadOnlyList<ApiKeyRecord>> Keys(string userId);

    /// <summary>Removes the user's key; false when the user has no key with this id.</summary>
    Task<bool> RemoveKey(string userId, string keyId);
}
