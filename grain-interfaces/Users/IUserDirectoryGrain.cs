namespace Granary.Users;

/// <summary>
/// Users created through the API (single activation, key "all"), shared by every gateway.
/// Users from configuration and the admin key never come here.
/// </summary>
public interface IUserDirectoryGrain : IGrainWithStringKey
{
    public const string Key = "all";

    /// <summary>Adds the user; false when a user with this name already exists.</summary>
    Task<bool> Add(UserRecord user);

    /// <summary>Removes the user; false when there was none.</summary>
    Task<bool> Remove(string name);

    [Orleans.Concurrency.ReadOnly]
    Task<UserRecord?> FindByKeyHash(string keyHash);

    [Orleans.Concurrency.ReadOnly]
    Task<IReadOnlyList<UserRecord>> List();
}
