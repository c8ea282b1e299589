namespace Granary.Users;

/// <summary>
/// A gateway's API-key cache, told by <see cref="IUserDirectoryGrain"/> that keys were revoked (a key or user deleted,
/// a user's rights changed) before the revoking call returns.
/// </summary>
public interface IKeyRevocationObserver : IGrainObserver
{
    /// <summary>Drop every cached key: the directory is now at <paramref name="version"/>.</summary>
    Task Revoked(KeyDirectoryVersion version);
}
